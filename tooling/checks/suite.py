"""`make check [ENV=]`: every offline check over one set of plans, one summary table, one exit code.

Each environment is planned once (`tooling.checks.record.planned`, the cache the test suites share); the types,
the policy pack, parity with the neighbouring environment, the scanners, the cost and the permission
broadening against the lower environment all read those same plans. `make review` evaluates a base
commit's plans and the working tree's with the same `evaluate`.

Exit codes: 0 every check passed; 7 nothing failed but something needs a human (a grant broadens
against the lower environment); 1 a check failed (a finding, a violation, an undeclared difference,
a plan that could not be made); 2 usage.
"""

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pulumi
from pulumi_policy import EnforcementLevel
from rich.console import Console
from rich.table import Table

from shared.environments import ENVIRONMENTS
from tooling.checks import config_keys, policy, same_code, types
from tooling.checks.broadening import BroadeningReport, Snapshot, compare_snapshots
from tooling.checks.broadening import render as render_broadening
from tooling.checks.cli import environments_parser, errors
from tooling.checks.compare import Side, declared_config, environment_report
from tooling.checks.cost.__main__ import side_by_side
from tooling.checks.cost.estimate import LineItem, line_items, total
from tooling.checks.parity import lower_environment, neighbours
from tooling.checks.policy import Violation
from tooling.checks.record import planned
from tooling.checks.render import console as report_console
from tooling.checks.render import render as render_parity
from tooling.checks.report import CLEAN, FOUND, UNEXPECTED, Report
from tooling.checks.scan.findings import load_waivers, stale
from tooling.checks.scan.scan import SCAN_DIR, EnvironmentScan, scan_plans
from tooling.checks.scan.scan import report as report_scan
from tooling.checks.types import Finding as TypeFinding

T = TypeVar("T")
ALL = "all"


@dataclass
class Evaluation:
    """Every check's result over one set of plans (judged by this checkout's rules)."""

    plans: Mapping[str, Mapping[str, Any]]
    type_findings: dict[str, list[TypeFinding]] = field(default_factory=dict)
    violations: dict[str, list[Violation]] = field(default_factory=dict)
    scans: dict[str, EnvironmentScan] = field(default_factory=dict)
    cost: dict[str, list[LineItem]] = field(default_factory=dict)
    cost_errors: dict[str, str] = field(default_factory=dict)  # env -> what could not be priced
    parity: list[Report] = field(default_factory=list)
    broadening: dict[str, BroadeningReport] = field(default_factory=dict)  # env -> against its lower environment
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)  # (check, scope) -> time it took

    def blocking_types(self, env: str) -> list[TypeFinding]:
        return [f for f in self.type_findings[env] if f.problem.blocking]

    def mandatory_violations(self, env: str) -> list[Violation]:
        return [v for v in self.violations[env] if v.enforcement_level == EnforcementLevel.MANDATORY]


def _timed(seconds: dict[tuple[str, str], float], check: str, scope: str, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = call()
    seconds[check, scope] = time.perf_counter() - start
    return result


def evaluate(
    plans: Mapping[str, Mapping[str, Any]],
    envs: Sequence[str] | None = None,
    *,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    scan_dir: Path = SCAN_DIR,
) -> Evaluation:
    """Run every plan-based check over the plans of `envs` (all of `plans` when None); the other plans are
    only what parity and broadening compare with. `configs` ({env: declared_config}) are the stack files
    when the plans come from another checkout; parity and broadening read them."""
    envs = list(plans) if envs is None else list(envs)
    configs = configs or {env: declared_config(env) for env in plans}
    checked = {env: plans[env] for env in envs}
    result = Evaluation(checked)
    seconds = result.seconds
    for env, plan in checked.items():
        result.type_findings[env] = _timed(seconds, "types", env, partial(types.check_plan, plan))
        result.violations[env] = _timed(seconds, "policy", env, partial(policy.check_plan, plan))
        try:
            result.cost[env] = _timed(seconds, "cost", env, partial(line_items, plan))
        except ValueError as exc:  # a resource the price table cannot price: said, never left out
            result.cost_errors[env] = str(exc)
    result.scans = _timed(seconds, "scan", ALL, partial(scan_plans, checked, load_waivers(), scan_dir))
    for left, right in neighbours():
        if left not in plans or right not in plans or (left not in envs and right not in envs):
            continue
        sides = (Side(left, "plan", plans[left], configs[left]), Side(right, "plan", plans[right], configs[right]))
        pair = f"{left}/{right}"
        result.parity.append(_timed(seconds, "parity", pair, partial(environment_report, "parity", *sides)))
    for env in envs:
        lower = lower_environment(env)
        if lower is None or lower not in plans:
            continue
        before = Snapshot(lower, f"{lower}:plan", plans[lower]["layers"], configs[lower])
        after = Snapshot(env, f"{env}:plan", plans[env]["layers"], configs[env])
        result.broadening[env] = _timed(seconds, "broadening", env, partial(compare_snapshots, before, after))
    return result


@dataclass(frozen=True)
class Outcome:
    """One row of the summary: a check over one environment (or pair), its exit code and what it found."""

    check: str
    scope: str
    exit_code: int
    detail: str
    seconds: float | None = None


def _word(exit_code: int) -> str:
    return {CLEAN: "[green]pass[/green]", FOUND: "[yellow]attention[/yellow]"}.get(exit_code, "[red]FAIL[/red]")


def summary_table(outcomes: Sequence[Outcome], planning_seconds: float) -> Table:
    worst = max((o.exit_code for o in outcomes), key=_severity, default=CLEAN)
    table = Table(title=f"make check: {_word(worst)} (exit {worst})", title_justify="left")
    for column in ("check", "scope", "result", "detail", "seconds"):
        table.add_column(column, overflow="fold")
    table.add_row("plan", "", _word(CLEAN), "each environment planned once", f"{planning_seconds:.1f}")
    for outcome in outcomes:
        seconds = "" if outcome.seconds is None else f"{outcome.seconds:.1f}"
        table.add_row(outcome.check, outcome.scope, _word(outcome.exit_code), outcome.detail, seconds)
    return table


def _severity(exit_code: int) -> int:
    """Failure outranks attention, attention outranks a pass."""
    return {CLEAN: 0, FOUND: 1}.get(exit_code, 2)


def worst_exit(outcomes: Sequence[Outcome]) -> int:
    return max((o.exit_code for o in outcomes), key=_severity, default=CLEAN)


def report(result: Evaluation, out: Console, *, full: bool) -> list[Outcome]:
    """Print each check's details, and return the summary's rows. `full`: every environment was checked, so
    waivers that waive nothing anywhere are stale."""
    outcomes: list[Outcome] = []
    seconds = result.seconds
    for env, plan in result.plans.items():
        code = types.report(env, plan, out, result.type_findings[env])
        found = result.blocking_types(env)
        outcomes.append(Outcome("types", env, code, f"{len(found)} finding(s)", seconds.get(("types", env))))
    for env, plan in result.plans.items():
        code = policy.report(env, plan, out, result.violations[env])
        detail = f"{len(result.mandatory_violations(env))} mandatory, {len(result.violations[env])} in all"
        outcomes.append(Outcome("policy", env, code, detail, seconds.get(("policy", env))))
    for parity in result.parity:
        if parity.summary.undeclared:
            render_parity(parity, out)
        scope = "/".join(parity.environments)
        detail = f"{parity.summary.differences} declared difference(s), {parity.summary.undeclared} undeclared"
        code = UNEXPECTED if parity.summary.undeclared else CLEAN
        outcomes.append(Outcome("parity", scope, code, detail, seconds.get(("parity", scope))))
    for env, scan in result.scans.items():
        code = report_scan(scan, out)
        detail = f"{len(scan.verdict.open)} open, {len(scan.verdict.waived)} waived"
        outcomes.append(Outcome("scan", env, code, detail))
    unused = stale(load_waivers(), [s.verdict for s in result.scans.values()]) if full else []
    for waiver in unused:
        out.print(f"[red]stale waiver (waives nothing in any environment):[/red] {waiver.describe()}")
    detail = f"{len(unused)} stale waiver(s)" if full else "waivers judged only when every environment is checked"
    outcomes.append(Outcome("scan", ALL, UNEXPECTED if unused else CLEAN, detail, seconds.get(("scan", ALL))))
    priced = {env: plan for env, plan in result.plans.items() if env in result.cost}
    if priced:
        out.print(side_by_side(priced))
    for env in result.plans:
        if env in result.cost_errors:
            outcomes.append(Outcome("cost", env, UNEXPECTED, f"cannot be priced: {result.cost_errors[env]}"))
        else:
            detail = f"{total(result.cost[env]):,.2f} USD/month fixed"
            outcomes.append(Outcome("cost", env, CLEAN, detail, seconds.get(("cost", env))))
    for env, broadening in result.broadening.items():
        render_broadening(broadening, out)
        detail = f"{broadening.summary.broadening} grant(s) broaden against {broadening.left}"
        outcomes.append(Outcome("broadening", env, broadening.exit_code, detail, seconds.get(("broadening", env))))
    return outcomes


def source_checks(out: Console) -> list[Outcome]:
    """The checks over the repository's code and stack files rather than a plan."""
    outcomes = []
    start = time.perf_counter()
    branching = same_code.check(same_code.python_files())
    for finding in branching:
        out.print(str(finding), markup=False)
    detail = f"{len(branching)} place(s) branch on the environment"
    outcomes.append(Outcome("same code", "layers, shared", int(bool(branching)), detail, time.perf_counter() - start))
    start = time.perf_counter()
    problems = config_keys.problems()
    for problem in problems:
        out.print(problem, markup=False)
    detail = f"{len(problems)} problem(s) in keys, variations, tables"
    outcomes.append(Outcome("config keys", "stack files", int(bool(problems)), detail, time.perf_counter() - start))
    return outcomes


def plans_for(envs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The requested environments' plans and, for parity and broadening, each one's lower environment."""
    wanted = set(envs) | {lower for env in envs if (lower := lower_environment(env))}
    return {env: planned(env) for env in ENVIRONMENTS if env in wanted}


def main(argv: Sequence[str]) -> int:
    envs = environments_parser("make check", __doc__ or "").parse_args(argv).environments or list(ENVIRONMENTS)
    out = report_console()
    start = time.perf_counter()
    try:
        plans = plans_for(envs)
    except (pulumi.RunError, FileNotFoundError, KeyError, ValueError) as exc:
        errors().print(f"plan failed: {exc}", markup=False)
        return UNEXPECTED
    planning = time.perf_counter() - start
    extra = sorted(set(plans) - set(envs), key=ENVIRONMENTS.index)
    if extra:
        out.print(f"also planned {', '.join(extra)}: the lower environment parity and broadening compare against")
    result = evaluate(plans, envs)
    outcomes = report(result, out, full=set(envs) == set(ENVIRONMENTS)) + source_checks(out)
    out.print(summary_table(outcomes, planning))
    return worst_exit(outcomes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

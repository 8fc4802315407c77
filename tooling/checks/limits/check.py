"""AWS's limits held against offline plans: a plan that `pulumi up` would see refused fails here first.

Per-resource limits are checked on each plan alone. Account-and-region limits (reserved Lambda
concurrency, API keys, usage plans) add up every environment whose stack files share an account id
and region: the other environments' plans are made when the run did not already make them.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from application.settings import UNRESERVABLE_CONCURRENCY as UNRESERVED_CONCURRENCY
from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from tooling.checks.limits import measure
from tooling.checks.limits.measure import Figure

QUOTAS_FILE = Path(__file__).with_name("quotas.yaml")
CONCURRENCY_KEY = "application:accountConcurrencyLimit"

Plan = Mapping[str, Any]
PlanOf = Callable[[str], Plan]


@dataclass(frozen=True)
class Limit:
    id: str
    what: str
    value: int
    unit: str
    kind: str  # hard | adjustable
    scope: str  # resource | account-region
    source: str
    note: str = ""

    def describe(self, value: int) -> str:
        kind = "hard limit" if self.kind == "hard" else "default quota (adjustable)"
        return f"{kind} of {value:,} {self.unit}"


@dataclass(frozen=True)
class Finding:
    limit: Limit
    figure: Figure
    quota: int  # the limit's value for this environment
    allowed: int  # what the figure may reach: the quota, or less where AWS holds part of it back

    def __str__(self) -> str:
        where = f"{self.figure.layer} {self.figure.name}".strip()
        detail = f"; {self.figure.detail}" if self.figure.detail else ""
        over = (
            f"the {self.allowed:,} {self.limit.unit} that may be reserved ({self.quota:,} minus the "
            f"{UNRESERVED_CONCURRENCY} AWS keeps unreserved)"
            if self.allowed != self.quota
            else f"the {self.limit.describe(self.quota)}"
        )
        return (
            f"{where} ({self.figure.type}): {self.limit.what} is {self.figure.value:,} {self.limit.unit}, "
            f"over {over}{detail} [{self.limit.id}: {self.limit.source}]"
        )


@dataclass(frozen=True)
class Result:
    env: str
    figures: Sequence[Figure]
    findings: Sequence[Finding]

    @property
    def unmeasured(self) -> list[Figure]:
        return [f for f in self.figures if f.value is None]

    def largest(self, limit: str) -> Figure | None:
        measured = [f for f in self.figures if f.limit == limit and f.value is not None]
        return max(measured, key=lambda f: f.value or 0, default=None)


@cache
def quotas() -> dict[str, Any]:
    return yaml.safe_load(QUOTAS_FILE.read_text())


def known_limits() -> dict[str, Limit]:
    return {key: Limit(id=key, **{k: v for k, v in entry.items()}) for key, entry in quotas()["limits"].items()}


# --- what each environment is -------------------------------------------------------------------


def account_and_region(env: str) -> tuple[frozenset[str], str]:
    config = read_layer_config("application", env)
    return frozenset(json.loads(config["platform:allowedAccountIds"])), str(config["platform:region"])


def sharing(env: str) -> list[str]:
    """The environments (env first) whose stack files put them in one of env's accounts and its region."""
    accounts, region = account_and_region(env)
    others = [e for e in ENVIRONMENTS if e != env]
    return [env] + [e for e in others if account_and_region(e)[1] == region and account_and_region(e)[0] & accounts]


# --- the check ----------------------------------------------------------------------------------


def figures_of(plan: Plan) -> list[Figure]:
    resources = measure.planned_resources(plan)
    found = [figure for measure_of in measure.PER_RESOURCE for figure in measure_of(resources)]
    found += measure.waf_capacity(
        resources, quotas()["managed-rule-group-wcus"]["groups"], quotas()["rate-based-rule-wcus"]["value"]
    )
    return found


def account_region_figures(env: str, plan: Plan, plan_of: PlanOf) -> list[Figure]:
    group = sharing(env)
    accounts, region = account_and_region(env)
    resources = {e: measure.planned_resources(plan if e == env else plan_of(e)) for e in group}
    where = f"account {', '.join(sorted(accounts))} {region}"
    return [
        Figure(
            limit,
            "",
            where,
            "account and region",
            sum(count(found) for found in resources.values()),
            ", ".join(f"{e} {count(found)}" for e, found in resources.items()),
        )
        for limit, count in measure.ACCOUNT_REGION.items()
    ]


def quota(limit: Limit, env: str) -> int:
    if limit.id == "lambda-unreserved-concurrency":
        return int(read_layer_config("application", env).get(CONCURRENCY_KEY, limit.value))
    return limit.value


def allowed(limit: Limit, env: str) -> int:
    held_back = UNRESERVED_CONCURRENCY if limit.id == "lambda-unreserved-concurrency" else 0
    return quota(limit, env) - held_back


def check_plan(env: str, plan: Plan, plan_of: PlanOf | None = None) -> Result:
    """Every figure of env's plan held against its limit; plan_of makes the plan of another environment
    that shares env's account and region (by default, the offline plan)."""
    if plan_of is None:
        from tooling.checks.record import plan_environment  # noqa: PLC0415 (only for environments sharing an account)

        plan_of = plan_environment
    known = known_limits()
    figures = [*figures_of(plan), *account_region_figures(env, plan, plan_of)]
    unknown = sorted({f.limit for f in figures} - set(known))
    if unknown:
        raise KeyError(f"{QUOTAS_FILE.name} has no limit {', '.join(unknown)}")
    findings = [
        Finding(known[f.limit], f, quota(known[f.limit], env), allowed(known[f.limit], env))
        for f in figures
        if f.value is not None and f.value > allowed(known[f.limit], env)
    ]
    return Result(env, figures, findings)


# --- output -------------------------------------------------------------------------------------


def report(env: str, plan: Plan, console: Console, *, headroom: bool = False, plan_of: PlanOf | None = None) -> int:
    """Every finding of env's plan, and what could not be measured offline; 1 if any limit is broken.
    With headroom, first the figure closest to each limit."""
    result = check_plan(env, plan, plan_of)
    if headroom:
        console.print(headroom_table(result))
    for finding in result.findings:
        console.print(str(finding), markup=False, highlight=False, soft_wrap=True, style="red")
    for figure in result.unmeasured:
        where = f"{figure.layer} {figure.name}".strip()
        console.print(f"note: {figure.limit} not measured offline for {where}: {figure.detail}", markup=False)
    checked = f"{len(known_limits())} AWS limits over {len(result.figures) - len(result.unmeasured)} figures"
    unmeasured = f"; {len(result.unmeasured)} not measurable offline (listed)" if result.unmeasured else ""
    if result.findings:
        console.print(f"[red]{env}: {len(result.findings)} AWS limit(s) exceeded[/red]; {checked}{unmeasured}")
    else:
        console.print(f"[green]{env}: within AWS limits[/green]; {checked}{unmeasured}")
    return int(bool(result.findings))


def headroom_table(result: Result) -> Table:
    """Per limit, the figure of the plan closest to it."""
    table = Table(title=f"{result.env}: the largest figure per AWS limit", title_justify="left")
    for column in ("limit", "kind", "allowed", "largest", "where"):
        table.add_column(column, overflow="fold", justify="right" if column in ("allowed", "largest") else "left")
    for limit in known_limits().values():
        largest = result.largest(limit.id)
        table.add_row(
            limit.id,
            limit.kind,
            f"{allowed(limit, result.env):,} {limit.unit}",
            "-" if largest is None else f"{largest.value:,}",
            "-" if largest is None else f"{largest.layer} {largest.name}".strip(),
        )
    return table

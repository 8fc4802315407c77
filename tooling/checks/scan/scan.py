"""`make scan [ENV=]`: each environment's offline plan converted to Terraform-plan JSON and scanned by
checkov, and every IAM policy document in it linted by parliament; findings judged against the one waiver
file (policy/waivers.yaml). Exit 1 on an open finding, an unmapped type or (scanning all environments) a
stale waiver."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tooling.checks.scan.checkov_run import CHECKOV_VERSION, Undecided, counts, failed, scan_files, undecided
from tooling.checks.scan.findings import Finding, Verdict, Waiver, judge, load_waivers, stale
from tooling.checks.scan.iam_lint import lint, parliament_version
from tooling.checks.scan.tfplan import Conversion, convert
from tooling.plan import PLAN_DIR
from tooling.plan.counts import PlanCount, count

SCAN_DIR = PLAN_DIR.parent / "scan"


@dataclass
class EnvironmentScan:
    environment: str
    conversion: Conversion
    checkov_report: dict[str, Any]
    policy_documents: int
    resources: PlanCount
    findings: list[Finding] = field(default_factory=list)
    verdict: Verdict = field(default_factory=Verdict)

    @property
    def checkov_counts(self) -> tuple[int, int]:
        return counts(self.checkov_report)

    @property
    def undecided(self) -> list[Undecided]:
        return undecided(self.checkov_report)


def write_terraform_plan(conversion: Conversion, directory: Path = SCAN_DIR) -> Path:
    """The converted plan as build/scan/<env>.tfplan.json (rewritten only when its content changed)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{conversion.environment}.tfplan.json"
    text = json.dumps(conversion.plan, indent=1, sort_keys=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def scan_plans(
    plans: Mapping[str, Mapping[str, Any]], waivers: Sequence[Waiver] | None = None, directory: Path = SCAN_DIR
) -> dict[str, EnvironmentScan]:
    """Convert, scan (checkov in parallel, one process per plan) and lint each plan; judge the findings."""
    waivers = load_waivers() if waivers is None else waivers
    conversions = {env: convert(env, plan) for env, plan in plans.items()}
    paths = {env: write_terraform_plan(c, directory) for env, c in conversions.items()}
    reports = scan_files(paths)
    scans = {}
    for env, plan in plans.items():
        documents, iam_findings = lint(conversions[env], plan)
        findings = failed(reports[env], env) + iam_findings
        scans[env] = EnvironmentScan(
            env, conversions[env], reports[env], documents, count(plan), findings, judge(findings, waivers)
        )
    return scans


def _open_table(scan: EnvironmentScan) -> Table:
    table = Table(title=f"{scan.environment}: {len(scan.verdict.open)} open finding(s)", title_justify="left")
    for column in ("scanner", "check", "resource", "title / detail"):
        table.add_column(column, overflow="fold")
    for f in scan.verdict.open:
        table.add_row(f.scanner, f.check, f.resource, f"{f.title}\n{f.detail}" if f.detail else f.title)
    return table


def report(scan: EnvironmentScan, console: Console) -> int:
    passed, failed_checks = scan.checkov_counts
    iam = [f for f in scan.findings if f.scanner == "parliament"]
    waived = len(scan.verdict.waived)
    others = ", ".join(f"{n} {t}" for t, n in sorted(scan.conversion.not_converted.items()))
    console.print(
        f"{scan.environment}: {len(scan.conversion.addresses)} of {scan.resources.resources_text()} converted to "
        f"Terraform (the aws ones); no Terraform AWS twin: {others}"
    )
    missing = [u for u in scan.undecided if u.missing]
    console.print(
        f"  checkov {CHECKOV_VERSION}: {passed} passed, {failed_checks} failed, {len(scan.undecided)} not evaluated "
        f"({len(missing)} for a missing attribute); parliament {parliament_version()}: "
        f"{scan.policy_documents} policy documents, {len(iam)} finding(s); {waived} waived, "
        f"{len(scan.verdict.open)} open"
    )
    for u in scan.undecided:
        why = f"missing {', '.join(u.missing)}" if u.missing else "undecided by the check"
        console.print(f"    not evaluated: {u.check} {u.resource} ({why})")
    if scan.verdict.open:
        console.print(_open_table(scan))
        return 1
    console.print(f"[green]{scan.environment}: 0 unwaived findings[/green]")
    return 0


def report_stale(waivers: Sequence[Waiver], scans: Mapping[str, EnvironmentScan], console: Console) -> int:
    unused = stale(waivers, [s.verdict for s in scans.values()])
    for waiver in unused:
        console.print(f"[red]stale waiver (waives nothing in any environment):[/red] {waiver.describe()}")
    return int(bool(unused))

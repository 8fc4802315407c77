"""`python -m tooling.checks.scan [ENV ...]` (`make scan`): plan the environments (the one per-environment
entry point), then scan them together (checkov runs one process per plan, in parallel)."""

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from shared.environments import ENVIRONMENTS
from tooling.checks.cli import environments_parser, run_per_environment
from tooling.checks.scan.findings import load_waivers
from tooling.checks.scan.scan import report, report_stale, scan_plans


def main(argv: Sequence[str]) -> int:
    plans: dict[str, dict[str, Any]] = {}

    def collect(env: str, plan: dict[str, Any], console: Console) -> int:
        plans[env] = plan
        return 0

    environments = environments_parser("make scan", __doc__ or "").parse_args(argv).environments
    worst = run_per_environment(environments, collect)
    if worst:
        return worst
    console = Console(emoji=False, highlight=False)
    waivers = load_waivers()
    scans = scan_plans(plans, waivers)
    for scan in scans.values():
        worst = max(worst, report(scan, console))
    if set(scans) == set(ENVIRONMENTS):
        worst = max(worst, report_stale(waivers, scans, console))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

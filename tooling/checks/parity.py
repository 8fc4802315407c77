"""`make parity`: the offline plans of dev/staging and staging/prod differ only where declared.

A special case of `make compare SOURCE=plan` (tooling/stacks/compare.py): the same comparator
(`tooling.checks.compare`), the same report and exit codes (0 clean, 7 an undeclared difference,
2 usage), over both pairs of neighbouring environments.

    python -m tooling.checks.parity [LEFT RIGHT]
"""

import sys
from typing import Any

from tooling.checks.cli import FAILED, environments_parser, plan_or_report
from tooling.checks.compare import Side, environment_report
from tooling.checks.render import console, render

PAIRS: tuple[tuple[str, str], ...] = (("dev", "staging"), ("staging", "prod"))


def main(argv: list[str]) -> int:
    parser = environments_parser("make parity", __doc__ or "", "LEFT RIGHT: one pair (default: each neighbouring pair)")
    chosen = parser.parse_args(argv).environments
    if chosen and len(chosen) != 2:
        parser.error(f"name two environments (LEFT RIGHT) or none, not {len(chosen)}")
    pairs = [(chosen[0], chosen[1])] if chosen else list(PAIRS)
    plans: dict[str, dict[str, Any]] = {}
    for env in dict.fromkeys(env for pair in pairs for env in pair):
        if (plan := plan_or_report(env)) is None:
            return FAILED
        plans[env] = plan
    out = console()
    reports = [environment_report("parity", Side(a, "plan", plans[a]), Side(b, "plan", plans[b])) for a, b in pairs]
    for report in reports:
        render(report, out)
    undeclared = sum(r.summary.undeclared for r in reports)
    if undeclared:
        out.print(
            f"[red]{undeclared} undeclared difference(s): declare them in shared/variations.py "
            "or make the code the same for every environment[/red]"
        )
    else:
        out.print("[green]environments differ only where their stack files declare it[/green]")
    return max(r.exit_code for r in reports)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

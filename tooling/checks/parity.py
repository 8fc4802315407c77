"""`make parity`: the offline plans of dev/staging and staging/prod differ only where declared.

A special case of `make compare SOURCE=plan` (tooling/stacks/compare.py): the same comparator
(`tooling.checks.compare`), the same report and exit codes (0 clean, 7 an undeclared difference,
2 usage), over both pairs of neighbouring environments.

    python -m tooling.checks.parity [LEFT RIGHT]
"""

import sys

from shared.environments import ENVIRONMENTS
from tooling.checks.compare import Side, environment_report
from tooling.checks.record import plan_environment
from tooling.checks.render import console, render
from tooling.checks.report import USAGE

PAIRS: tuple[tuple[str, str], ...] = (("dev", "staging"), ("staging", "prod"))


def main(argv: list[str]) -> int:
    out = console()
    if argv and (len(argv) != 2 or not set(argv) <= set(ENVIRONMENTS)):
        out.print(f"usage: python -m tooling.checks.parity [LEFT RIGHT], each one of {', '.join(ENVIRONMENTS)}")
        return USAGE
    pairs = [(argv[0], argv[1])] if argv else list(PAIRS)
    plans = {env: plan_environment(env) for pair in pairs for env in pair}
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

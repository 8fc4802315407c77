"""`make parity`: the offline plan of every environment differs from its neighbour's only where declared.

A special case of `make compare SOURCE=plan` (tooling/stacks/compare.py): the same comparator
(`tooling.checks.compare`), the same report and exit codes (0 clean, 7 an undeclared difference,
2 usage). Each environment after the first is compared with the environment it is promoted from
(`platform:promotedFrom`) or, when it declares none, with the one before it in
`shared/environments.py` (today: dev/staging and staging/prod), so a new environment is compared
the moment it exists.

    python -m tooling.checks.parity [LEFT RIGHT]
"""

import itertools
import sys
from collections.abc import Callable, Sequence

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from tooling.checks.compare import Side, environment_report
from tooling.checks.render import console, render
from tooling.checks.report import USAGE
from tooling.plan import plan_environment


def promoted_from(env: str) -> str | None:
    """`platform:promotedFrom` of an environment's stack files (the same in every layer), None for none."""
    source = str(read_layer_config(DEPLOY_ORDER[0], env).get("platform:promotedFrom", "none"))
    return None if source == "none" else source


def neighbours(
    environments: Sequence[str] = ENVIRONMENTS, source_of: Callable[[str], str | None] = promoted_from
) -> list[tuple[str, str]]:
    """(left, right) per environment after the first: the environment it is promoted from, else the one before it."""
    return [(source_of(env) or previous, env) for previous, env in itertools.pairwise(environments)]


def main(argv: list[str]) -> int:
    out = console()
    if argv and (len(argv) != 2 or not set(argv) <= set(ENVIRONMENTS)):
        out.print(f"usage: python -m tooling.checks.parity [LEFT RIGHT], each one of {', '.join(ENVIRONMENTS)}")
        return USAGE
    pairs = [(argv[0], argv[1])] if argv else neighbours()
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

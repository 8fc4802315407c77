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
from typing import Any

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from tooling.checks.cli import FAILED, environments_parser, plan_or_report
from tooling.checks.compare import Side, environment_report
from tooling.checks.render import console, render


def promoted_from(env: str) -> str | None:
    """`platform:promotedFrom` of an environment's stack files (the same in every layer), None for none."""
    source = str(read_layer_config(DEPLOY_ORDER[0], env).get("platform:promotedFrom", "none"))
    return None if source == "none" else source


def lower_environment(env: str, source_of: Callable[[str], str | None] = promoted_from) -> str | None:
    """What `env` is compared with: the environment it is promoted from, else the one before it in
    `shared/environments.py`; None for the first."""
    index = ENVIRONMENTS.index(env)
    return source_of(env) or (ENVIRONMENTS[index - 1] if index else None)


def neighbours(
    environments: Sequence[str] = ENVIRONMENTS, source_of: Callable[[str], str | None] = promoted_from
) -> list[tuple[str, str]]:
    """(left, right) per environment after the first: the environment it is promoted from, else the one before it."""
    return [(source_of(env) or previous, env) for previous, env in itertools.pairwise(environments)]


def main(argv: list[str]) -> int:
    parser = environments_parser("make parity", __doc__ or "", "LEFT RIGHT: one pair (default: each neighbouring pair)")
    chosen = parser.parse_args(argv).environments
    if chosen and len(chosen) != 2:
        parser.error(f"name two environments (LEFT RIGHT) or none, not {len(chosen)}")
    pairs = [(chosen[0], chosen[1])] if chosen else neighbours()
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

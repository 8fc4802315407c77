"""The one entry point of every per-environment command (`make plan`, `make policy`, ...).

`python -m <command> [ENV ...]`: each named environment (all of them when none) is planned
offline, in order, and handed to the command's action. An unknown name exits 2 before anything
runs; a plan that fails (bad stack config, an invoke without an answer) exits 1 naming the
environment; otherwise the exit code is the highest the action returned.
"""

from collections.abc import Callable, Sequence
from typing import Any

import pulumi
from rich.console import Console

from shared.environments import ENVIRONMENTS
from tooling.plan import plan_environment

USAGE_ERROR = 2
FAILED = 1

PlanAction = Callable[[str, dict[str, Any], Console], int]
"""(environment, its offline plan, console) -> exit code."""


def requested_environments(argv: Sequence[str]) -> list[str]:
    """The environments named on the command line (all of them when none); ValueError naming what is
    allowed when a name is not an environment."""
    unknown = [e for e in argv if e not in ENVIRONMENTS]
    if unknown:
        raise ValueError(f"unknown environment {', '.join(unknown)}; allowed: {', '.join(ENVIRONMENTS)}")
    return list(argv) or list(ENVIRONMENTS)


def run_per_environment(argv: Sequence[str], action: PlanAction) -> int:
    console = Console(emoji=False, highlight=False)
    try:
        envs = requested_environments(argv)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return USAGE_ERROR
    worst = 0
    for env in envs:
        try:
            plan = plan_environment(env)
        except (pulumi.RunError, FileNotFoundError, KeyError, ValueError) as exc:
            console.print(f"[red]plan {env} failed:[/red] {exc}", soft_wrap=True)  # one line, however long
            return FAILED
        worst = max(worst, action(env, plan, console))
    return worst

"""What every command under `tooling/` shares: its argument parser and the per-environment loop.

Each module entry point (`python -m tooling.checks.plan_files`, `tooling.checks.policy`, ...) parses its arguments
with `CommandParser`: `--help` describes it, and a bad argument is one line on stderr naming what is
allowed (exit 2). Reports go to stdout; errors go to stderr (`errors()`).

Per-environment commands (`make plan`, `make policy`, ...) take `[ENV ...]`: each named environment
(all of them when none) is planned offline, in order, and handed to the command's action. A plan that
fails (bad stack config, an invoke without an answer) exits 1 naming the environment on stderr;
otherwise the exit code is the highest the action returned.
"""

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import pulumi
from rich.console import Console

from shared.environments import ENVIRONMENTS
from tooling.checks.record import plan_environment

USAGE_ERROR = 2
FAILED = 1

PlanAction = Callable[[str, dict[str, Any], Console], int]
"""(environment, its offline plan, console) -> exit code."""


class CommandParser(argparse.ArgumentParser):
    """argparse, with a bad argument reported in one line on stderr (exit 2) instead of usage and error."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (--help shows the usage)\n")


def environment(name: str) -> str:
    """An argparse type: an environment's name, or an error naming the allowed ones."""
    if name not in ENVIRONMENTS:
        raise argparse.ArgumentTypeError(f"unknown environment {name!r}; allowed: {', '.join(ENVIRONMENTS)}")
    return name


def environments_parser(
    prog: str, description: str, what: str = "default: all of them, in this order"
) -> CommandParser:
    """`<prog> [ENV ...]`: the parser of a per-environment command."""
    parser = CommandParser(prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "environments", nargs="*", type=environment, metavar="ENV", help=f"{', '.join(ENVIRONMENTS)} ({what})"
    )
    return parser


def errors() -> Console:
    """Where errors go: stderr, plain (no emoji, no highlighting), one line per line (never wrapped)."""
    return Console(stderr=True, emoji=False, highlight=False, soft_wrap=True)


def plan_or_report(env: str) -> dict[str, Any] | None:
    """The offline plan of `env`, or None after printing why it failed on stderr."""
    try:
        return plan_environment(env)
    except (pulumi.RunError, FileNotFoundError, KeyError, ValueError) as exc:
        errors().print(f"plan {env} failed: {exc}", markup=False)
        return None


def run_per_environment(envs: Sequence[str], action: PlanAction) -> int:
    console = Console(emoji=False, highlight=False)
    worst = 0
    for env in envs or ENVIRONMENTS:
        plan = plan_or_report(env)
        if plan is None:
            return FAILED
        worst = max(worst, action(env, plan, console))
    return worst

"""`make plan [ENV=]` (`python -m tooling.checks.plan_files [ENV ...]`): write build/plan/<env>.json for each
environment, print its summary, then check every planned input against the installed SDKs' types
(`tooling.checks.types`) and every figure against AWS's limits (`tooling.checks.limits`); findings of
either exit 1. It lives above the plan engine (`tooling.plan`), which knows
nothing of the checks."""

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from shared import stack_files
from tooling.checks import limits, types
from tooling.checks.cli import run_per_environment
from tooling.plan import engine
from tooling.plan.summary import print_summary


def write_plan(env: str, plan: dict[str, Any], console: Console) -> int:
    engine.PLAN_DIR.mkdir(parents=True, exist_ok=True)
    out = engine.PLAN_DIR / f"{env}.json"
    out.write_text(json.dumps(plan, indent=2) + "\n")
    print_summary(plan, console)
    shown = out.relative_to(stack_files.REPO) if out.is_relative_to(stack_files.REPO) else out
    console.print(f"[green]wrote {shown}[/green]")
    return max(types.report(env, plan, console), limits.report(env, plan, console))


def main(argv: Sequence[str]) -> int:
    return run_per_environment(argv, write_plan)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

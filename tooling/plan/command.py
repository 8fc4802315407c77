"""`make plan [ENV=]`: write build/plan/<env>.json for each environment, print its summary, then check
every planned input against the installed SDKs' types (`tooling.checks.types`; findings exit 1)."""

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from shared import stack_files
from tooling.checks import types
from tooling.cli import environments_parser, run_per_environment
from tooling.plan import engine
from tooling.plan.summary import print_summary


def write_plan(env: str, plan: dict[str, Any], console: Console) -> int:
    engine.PLAN_DIR.mkdir(parents=True, exist_ok=True)
    out = engine.PLAN_DIR / f"{env}.json"
    out.write_text(json.dumps(plan, indent=2) + "\n")
    print_summary(plan, console)
    console.print(f"[green]wrote {out.relative_to(stack_files.REPO)}[/green]")
    return types.report(env, plan, console)


def main(argv: Sequence[str]) -> int:
    parser = environments_parser("make plan", __doc__ or "")
    return run_per_environment(parser.parse_args(argv).environments, write_plan)

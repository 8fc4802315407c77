"""`make plan [ENV=]` (`python -m tooling.checks.plan_files [ENV ...]`): write build/plan/<env>.json for each
environment, print its summary, then check every planned input against the installed SDKs' types
(`tooling.checks.types`) and every figure against AWS's limits (`tooling.checks.limits`); findings of
either exit 1. It lives above the plan engine (`tooling.plan`), which knows nothing of the checks.

Every stack file is checked before the first layer runs (`tooling.checks.stack_config`), and after the
plans the rest of what `make test` holds the stack-config keys to (`tooling.checks.config_keys`: every
key described, no stale variation, the README tables as `make docs` writes them): a plan that the
tests would refuse exits 1, saying why on stderr."""

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from shared import stack_files
from tooling.checks import config_keys, limits, stack_config, types
from tooling.checks.cli import FAILED, environments_parser, errors, run_per_environment
from tooling.plan import engine
from tooling.plan.summary import print_summary


def write_plan(env: str, plan: dict[str, Any], console: Console) -> int:
    engine.PLAN_DIR.mkdir(parents=True, exist_ok=True)
    out = engine.PLAN_DIR / f"{env}.json"
    out.write_text(json.dumps(plan, indent=2) + "\n")
    print_summary(plan, console)
    console.print(f"[green]wrote {stack_files.shown_path(out)}[/green]", soft_wrap=True)  # a path is never folded
    return max(types.report(env, plan, console), limits.report(env, plan, console))


def main(argv: Sequence[str]) -> int:
    parser = environments_parser("make plan", __doc__ or "")
    worst = run_per_environment(parser.parse_args(argv).environments, write_plan)
    if stack_config.stack_file_problems():
        return worst  # the plan refused them, listed
    disagreements = config_keys.key_problems()
    for problem in disagreements:
        errors().print(problem, markup=False)
    return max(worst, FAILED if disagreements else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`make broadening LEFT=staging RIGHT=prod [SOURCE=plan|deployed] [LEFT_FILE= RIGHT_FILE=]`.

What the right side grants that the left side did not (tooling/checks/broadening.py): two
environments' offline plans (SOURCE=plan), their deployed stacks (SOURCE=deployed, through the
Automation API, secrets redacted), or two plan files (`build/plan/<env>.json` of a commit and of the
previous one: LEFT_FILE=, RIGHT_FILE=).

Exit codes: 0 nothing broadens, 7 something does, 2 a usage or configuration problem (one line).
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tooling.checks.broadening import BroadeningReport, Snapshot, compare_snapshots, render
from tooling.checks.record import plan_environment
from tooling.checks.redact import Redactor
from tooling.checks.render import console
from tooling.checks.report import UNEXPECTED, USAGE
from tooling.stacks.assess import deployed
from tooling.stacks.preflight import check_environment
from tooling.stacks.types import Refusal, Stopped


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.stacks.broadening",
        description="Permission broadening from LEFT to RIGHT (exit 0 none, 7 found, 2 usage). See docs/promotion.md.",
    )
    parser.add_argument("--left", default="staging", help="environment before (make: LEFT=)")
    parser.add_argument("--right", default="prod", help="environment after (make: RIGHT=)")
    parser.add_argument("--source", default="plan", help="plan (offline plans) or deployed (make: SOURCE=)")
    parser.add_argument("--left-file", type=Path, help="an offline plan JSON as the left side (make: LEFT_FILE=)")
    parser.add_argument("--right-file", type=Path, help="an offline plan JSON as the right side (make: RIGHT_FILE=)")
    parser.add_argument("--json", type=Path, help="also write the report as JSON (make: JSON=)")
    return parser.parse_args(argv)


def _from_file(path: Path) -> Snapshot:
    if not path.is_file():
        raise Refusal(f"{path} does not exist: write plan files with make plan (build/plan/<env>.json)")
    plan = json.loads(path.read_text())
    check_environment("broadening", str(plan.get("environment")), f"(the environment {path} names)")
    return Snapshot(plan["environment"], f"{plan['environment']}:{path.name}", plan["layers"])


def _side(env: str, source: str, path: Path | None) -> Snapshot:
    if path is not None:
        return _from_file(path)
    if source == "plan":
        return Snapshot(env, f"{env}:plan", plan_environment(env)["layers"])
    side, _ = deployed(env, Redactor())
    return Snapshot(env, f"{env}:deployed", side.snapshot["layers"])


def build(args: argparse.Namespace) -> BroadeningReport:
    """Both sides' names are checked before either side is read (an offline plan takes seconds)."""
    for env, variable, path in ((args.left, "LEFT", args.left_file), (args.right, "RIGHT", args.right_file)):
        if path is None:
            check_environment("broadening", env, "SOURCE=plan", variable)
    if args.source not in ("plan", "deployed"):
        raise Refusal(
            f"unknown SOURCE {args.source!r}; allowed: plan, deployed "
            "(make broadening LEFT=staging RIGHT=prod SOURCE=plan)"
        )
    return compare_snapshots(
        _side(args.left, args.source, args.left_file), _side(args.right, args.source, args.right_file)
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = console()
    try:
        report = build(args)
    except Refusal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    except Stopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNEXPECTED
    render(report, out)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.to_json())
        out.print(f"wrote {args.json}", soft_wrap=True)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())

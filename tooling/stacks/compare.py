"""`make compare LEFT=staging RIGHT=prod [SOURCE=plan]`: two environments, through the one comparator.

SOURCE=deployed (the default) reads both environments' stacks with the Automation API
(`pulumi stack export`, secrets redacted at once); SOURCE=plan uses their offline plans instead,
with no CLI and no backend. Either way `tooling.checks.compare` matches the resources and
`shared/variations.py` decides which differences the stack files declare, exactly as `make parity`
does: declared differences are reported as controlled variations, anything else as undeclared, with
its property path and both values.

    python -m tooling.stacks.compare --left staging --right prod [--source plan] [--json FILE]

Exit codes: 0 only declared differences, 7 an undeclared one, 2 a configuration or usage problem
(one line), 1 anything else.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tooling.checks.compare import Side, Source, environment_report
from tooling.checks.record import plan_environment
from tooling.checks.redact import Redactor
from tooling.checks.render import console
from tooling.checks.report import Report
from tooling.stacks.assess import deployed
from tooling.stacks.commands import run_report
from tooling.stacks.preflight import check_environment
from tooling.stacks.types import Refusal


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.stacks.compare",
        description="Compare two environments resource by resource; only differences declared in "
        "shared/variations.py are allowed (exit 0; 7 undeclared, 2 usage or configuration, 1 unexpected). "
        "See docs/drift.md.",
    )
    parser.add_argument("--left", default="staging", help="environment on the left (make: LEFT=, default staging)")
    parser.add_argument("--right", default="prod", help="environment on the right (make: RIGHT=, default prod)")
    parser.add_argument(
        "--source",
        default="deployed",
        help="deployed: the stacks on the backend (Automation API); plan: the offline plans (make: SOURCE=)",
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file (make: JSON=)")
    return parser.parse_args(argv)


def check_arguments(args: argparse.Namespace) -> Source:
    for env, variable in ((args.left, "LEFT"), (args.right, "RIGHT")):
        check_environment("compare", env, "SOURCE=deployed|plan", variable)
    if args.left == args.right:
        raise Refusal(
            f"LEFT and RIGHT are both {args.left!r}: name two environments (make compare LEFT=dev RIGHT=staging)"
        )
    if args.source not in ("deployed", "plan"):
        raise Refusal(
            f"unknown SOURCE {args.source!r}; allowed: deployed (the default), plan "
            f"(make compare LEFT={args.left} RIGHT={args.right} SOURCE=plan)"
        )
    source: Source = args.source
    return source


def build(args: argparse.Namespace) -> Report:
    if check_arguments(args) == "plan":
        left, right = (Side(env, "plan", plan_environment(env)) for env in (args.left, args.right))
        return environment_report("compare", left, right)
    redactor = Redactor()
    left_side, backend = deployed(args.left, redactor)
    right_side, _ = deployed(args.right, redactor)
    return environment_report("compare", left_side, right_side, redactor, backend)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_report(lambda: build(args), console(), args.json)


if __name__ == "__main__":
    sys.exit(main())

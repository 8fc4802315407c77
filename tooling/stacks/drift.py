"""`make drift ENV=<env>`: code vs state and state vs cloud of every layer, through the Automation API.

For each layer in deploy order: `pulumi preview` (code vs state: it must show no changes) and
`pulumi refresh --preview-only` (state vs cloud: never a refresh that writes state), on the same
backend, stack names and credentials as `make preview|deploy` (`tooling.stacks.preflight`). What
differs is reported with its property path and both values (from the engine's events and the stack
export), secrets redacted.

    python -m tooling.stacks.drift --env staging [--json build/drift/staging.json]

Exit codes: 0 no drift, 7 drift, 2 a configuration or usage problem (one line), 1 anything else.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.environments import ENVIRONMENTS
from tooling.checks.render import console
from tooling.stacks.assess import detect
from tooling.stacks.commands import run_report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.stacks.drift",
        description="Drift of one environment's deployed stacks: code vs state and state vs cloud, layer by layer "
        "(exit 0 none, 7 drift, 2 usage or configuration, 1 unexpected). See docs/drift.md.",
    )
    parser.add_argument("--env", default="", help=f"environment: {', '.join(ENVIRONMENTS)} (make: ENV=)")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file (make: JSON=)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_report(lambda: detect(args.env), console(), args.json)


if __name__ == "__main__":
    sys.exit(main())

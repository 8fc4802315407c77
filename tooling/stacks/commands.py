"""What `make drift` and `make compare` share around their report: the error lines, exit codes and
where the report goes (the terminal, and a JSON file with `--json`)."""

import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from tooling.checks.render import render, write_json
from tooling.checks.report import UNEXPECTED, USAGE, Report
from tooling.stacks.types import Refusal, Stopped


def run_report(build: Callable[[], Report], out: Console, json_path: Path | None) -> int:
    """0 nothing found, 7 drift or an undeclared difference, 2 a refusal (one line), 1 a failed layer."""
    try:
        report = build()
    except Refusal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    except Stopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNEXPECTED
    render(report, out)
    if json_path is not None:
        write_json(report, json_path, out)
    return report.exit_code

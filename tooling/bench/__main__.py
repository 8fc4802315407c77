"""`make bench`: speed and size figures, printed against their targets (reported, never asserted): plan
wall time, what the type check adds to it, and the functions' figures."""

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO
from tooling.bench.type_check import type_check_cost
from tooling.cli import CommandParser

PLAN_TARGET_SECONDS = 3.0
RUNS = 3


def median_seconds(command: list[str]) -> float:
    def once() -> float:
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    return statistics.median(once() for _ in range(RUNS))


def plan_times(console: Console) -> None:
    """`make plan` runs all three environments in one process; `make plan ENV=x` runs one."""
    plan = [sys.executable, "-m", "tooling.plan"]
    table = Table(title=f"offline plan wall time, median of {RUNS} runs (after setup)", title_justify="left")
    for column in ("command", "seconds", "per environment", "target per environment", "within"):
        table.add_column(column)

    def row(label: str, seconds: float, environments: int) -> None:
        per_env = seconds / environments
        within = "yes" if per_env < PLAN_TARGET_SECONDS else "NO"
        table.add_row(label, f"{seconds:.2f}", f"{per_env:.2f}", f"< {PLAN_TARGET_SECONDS:.0f} s", within)

    row("make plan", median_seconds(plan), len(ENVIRONMENTS))
    for env in ENVIRONMENTS:
        row(f"make plan ENV={env}", median_seconds([*plan, env]), 1)
    console.print(table)


def main(argv: Sequence[str]) -> int:
    CommandParser(prog="make bench", description=__doc__).parse_args(argv)
    console = Console()
    plan_times(console)
    type_check_cost(console)
    functions_bench = REPO / "functions" / "bench.py"
    return subprocess.run([sys.executable, str(functions_bench)], cwd=REPO, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

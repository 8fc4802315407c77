"""`make bench`: speed and size figures, printed against their targets (reported, never asserted): plan
wall time, `make check` against `make plan`, what the type check adds to a plan, dev with a thousand
merchants, and the functions' figures."""

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO
from tooling.bench.merchant_scale import merchant_scale
from tooling.bench.type_check import type_check_cost
from tooling.checks.cli import CommandParser

PLAN_TARGET_SECONDS = 3.0
# Every offline check over the plans costs at most 60 % more than planning alone (the plans are made once).
CHECK_RATIO_TARGET = 1.6
RUNS = 3


def median_seconds(command: list[str], exit_codes: tuple[int, ...] = (0,)) -> float:
    """Median wall time of `command`; it must end with one of `exit_codes` (a check may find something)."""

    def once() -> float:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, check=False, stdout=subprocess.DEVNULL)
        if done.returncode not in exit_codes:
            raise subprocess.CalledProcessError(done.returncode, command)
        return time.perf_counter() - start

    return statistics.median(once() for _ in range(RUNS))


def plan_times(console: Console) -> None:
    """`make plan` runs all three environments in one process; `make plan ENV=x` runs one."""
    plan = [sys.executable, "-m", "tooling.checks.plan_files"]
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


def check_ratio(console: Console) -> float:
    """`make check` over the three environments against `make plan` over the three, medians of the same run."""
    plan = median_seconds([sys.executable, "-m", "tooling.checks.plan_files"])
    check = median_seconds([sys.executable, "-m", "tooling.checks.suite"], exit_codes=(0, 1, 7))
    ratio = check / plan
    table = Table(title=f"make check / make plan, all environments, median of {RUNS} runs each", title_justify="left")
    for column in ("make plan s", "make check s", "ratio", "target", "within"):
        table.add_column(column)
    within = "yes" if ratio <= CHECK_RATIO_TARGET else "NO"
    table.add_row(f"{plan:.2f}", f"{check:.2f}", f"{ratio:.2f}", f"<= {CHECK_RATIO_TARGET}", within)
    console.print(table)
    return ratio


def main(argv: Sequence[str]) -> int:
    CommandParser(prog="make bench", description=__doc__).parse_args(argv)
    console = Console()
    plan_times(console)
    check_ratio(console)
    type_check_cost(console)
    merchant_scale(console)
    functions_bench = REPO / "functions" / "bench.py"
    return subprocess.run([sys.executable, str(functions_bench)], cwd=REPO, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

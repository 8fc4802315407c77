"""`make bench`: speed and size figures, printed against their targets (reported, never asserted)."""

import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

from shared.environments import ENVIRONMENTS
from tooling.plan import REPO

PLAN_TARGET_SECONDS = 3.0
RUNS = 3


def time_command(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def plan_times(console: Console) -> None:
    table = Table(title=f"offline plan, wall time of `make plan ENV=<env>` (median of {RUNS})", title_justify="left")
    for column in ("environment", "seconds", "target", "within"):
        table.add_column(column)
    for env in ENVIRONMENTS:
        seconds = statistics.median(time_command([sys.executable, "-m", "tooling.plan", env]) for _ in range(RUNS))
        table.add_row(
            env, f"{seconds:.2f}", f"< {PLAN_TARGET_SECONDS:.0f}", "yes" if seconds < PLAN_TARGET_SECONDS else "NO"
        )
    console.print(table)


def main() -> int:
    console = Console()
    plan_times(console)
    functions_bench = REPO / "functions" / "bench.py"
    if functions_bench.exists():
        return subprocess.run([sys.executable, str(functions_bench)], cwd=REPO, check=False).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())

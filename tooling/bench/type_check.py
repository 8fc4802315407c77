"""What the type check (`tooling.checks.types`) adds to `make plan`, measured in one process.

Each environment is planned `RUNS` times; each time the plan and then the check over it are timed.
The first check of the process also resolves the SDK types it needs (imports, annotations), which
later checks reuse: it is shown on its own and counted in the worst-case ratio.
"""

import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.environments import ENVIRONMENTS
from tooling.checks.record import plan_environment
from tooling.checks.types import check_plan

RUNS = 5
RATIO_TARGET = 1.20


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def type_check_cost(console: Console) -> float:
    """Print plan time without and with the check per environment; return the worst ratio."""
    table = Table(
        title=f"type check cost, in-process, median of {RUNS}: ratio = (plan + check) / plan, first check counted",
        title_justify="left",
    )
    for column in ("environment", "plan s", "check s", "first check s", "ratio", "target", "within"):
        table.add_column(column)
    worst = 0.0
    for env in ENVIRONMENTS:
        plans, checks = [], []
        for _ in range(RUNS):
            plan, seconds = _timed(partial(plan_environment, env))
            plans.append(seconds)
            checks.append(_timed(partial(check_plan, plan))[1])
        plan_s, check_s = statistics.median(plans), statistics.median(checks)
        ratio = (plan_s + max(check_s, checks[0])) / plan_s  # the cold first check counts
        worst = max(worst, ratio)
        within = "yes" if ratio <= RATIO_TARGET else "NO"
        table.add_row(
            env, f"{plan_s:.3f}", f"{check_s:.4f}", f"{checks[0]:.4f}", f"{ratio:.3f}", f"<= {RATIO_TARGET}", within
        )
    console.print(table)
    return worst

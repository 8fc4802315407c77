"""A thousand merchants: dev planned with its stack files' merchants and with 1,000, in one process.

Reported (never asserted), per plan: resources, wall time and seconds per 1,000 resources, the
largest Lambda environment in bytes (what AWS's 4 KB limit counts) and whether every AWS limit
holds (`tooling.checks.limits`). The thousand merchants replace `application:merchants` as
`pulumi config set` would (`plan_environment(..., overrides=...)`); nothing is written to disk.
"""

import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from tooling.checks.limits.check import check_plan
from tooling.plan.counts import count
from tooling.plan.engine import plan_environment

ENV = "dev"
MERCHANTS = 1000
LAMBDA_ENVIRONMENT = "lambda-environment-variables"


def thousand_merchants() -> dict[str, str]:
    return {"application:merchants": json.dumps([f"merchant-{n:04d}" for n in range(1, MERCHANTS + 1)])}


def _row(label: str, overrides: dict[str, str] | None) -> tuple[list[str], Any]:
    start = time.perf_counter()
    plan = plan_environment(ENV, overrides=overrides)
    seconds = time.perf_counter() - start
    resources = count(plan).resources
    result = check_plan(ENV, plan)
    largest = result.largest(LAMBDA_ENVIRONMENT)
    merchants = len(next(layer for layer in plan["layers"] if layer["name"] == "application")["outputs"]["apiKeyIds"])
    limits = "all hold" if not result.findings else f"{len(result.findings)} exceeded"
    cells = [
        label,
        str(merchants),
        str(resources),
        f"{seconds:.1f}",
        f"{seconds / resources * 1000:.2f}",
        f"{largest.value} ({largest.name})" if largest else "-",
        limits,
    ]
    return cells, result


def merchant_scale(console: Console) -> bool:
    """Print the two plans side by side; True when every limit holds with a thousand merchants."""
    table = Table(title=f"{ENV} with a thousand merchants: one run each, in one process", title_justify="left")
    columns = ("plan", "merchants", "resources", "seconds", "s per 1,000 resources", "largest Lambda env, bytes")
    for column in (*columns, "AWS limits"):
        table.add_column(column)
    few, _ = _row("stack files", None)
    many, result = _row(f"{MERCHANTS} merchants", thousand_merchants())
    table.add_row(*few)
    table.add_row(*many)
    console.print(table)
    console.print("(the first plan of the process also pays the imports and the Lambda artifact's check)")
    for finding in result.findings:
        console.print(str(finding), markup=False, style="red")
    return not result.findings

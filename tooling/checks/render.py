"""A report in the terminal: one table per comparison (its items) and one summary table."""

import json
import os
import sys
from itertools import groupby
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tooling.checks.report import COMPARISONS, Item, Report

TITLES = {
    "code_state": "code vs state (preview)",
    "state_cloud": "state vs cloud (refresh preview)",
    "env_env": "environment vs environment",
}


def console() -> Console:
    """Plain output that stays readable in CI logs (no emoji, no highlighting, 160 columns off a TTY
    unless COLUMNS says otherwise)."""
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(emoji=False, highlight=False, width=None if wide else 160)


def short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _order(item: Item) -> tuple[int, str, str, bool, str, str]:
    return (COMPARISONS.index(item.comparison), item.left, item.right, item.declared, item.layer, item.resource)


def verdict(item: Item) -> str:
    if item.declared:
        return ", ".join(item.declared_by)
    return "[red]UNDECLARED[/red]" if item.comparison == "env_env" else "[red]DRIFT[/red]"


def items_table(items: list[Item]) -> Table:
    first = items[0]
    undeclared = sum(not i.declared for i in items)
    title = (
        f"{TITLES[first.comparison]}: {first.left} vs {first.right}: {len(items)} differences, {undeclared} undeclared"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("layer")
    table.add_column("resource", overflow="fold", min_width=18)
    table.add_column("path", overflow="fold", min_width=18)
    for column in (first.left, first.right):
        table.add_column(column, overflow="fold", max_width=36)
    table.add_column("kind")
    table.add_column("declared by", overflow="fold")
    for item in items:
        table.add_row(
            item.layer,
            escape(item.name),
            escape(item.path or "(resource)"),
            escape(short(item.left_value)),
            escape(short(item.right_value)),
            item.kind,
            verdict(item),
        )
    return table


def summary_table(report: Report) -> Table:
    summary = report.summary
    table = Table(
        title=f"{report.command} {' vs '.join(report.environments)} ({report.source}): "
        f"{summary.resources_checked} resources checked, {summary.differences} differences, "
        f"{summary.undeclared} undeclared",
        title_justify="left",
    )
    for column in ("layer", "comparison", "resources", "engine steps", "differences", "undeclared"):
        table.add_column(column)
    for layer, by_comparison in summary.counts.items():
        for comparison, count in by_comparison.items():
            steps = ", ".join(f"{op} {n}" for op, n in count.operations.items()) or "-"
            style = "red" if count.undeclared else ""
            table.add_row(
                layer,
                comparison,
                str(count.resources),
                steps,
                str(count.differences),
                str(count.undeclared),
                style=style,
            )
    return table


def render(report: Report, out: Console) -> None:
    items = sorted(report.items, key=_order)
    for _, group in groupby(items, key=lambda i: (i.comparison, i.left, i.right)):
        out.print(items_table(list(group)))
    out.print(summary_table(report))


def write_json(report: Report, path: Path, out: Console) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.to_json())
    out.print(f"wrote {path}")

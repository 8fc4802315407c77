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


def whole_numbers(value: Any) -> Any:
    """Floats that are whole numbers as integers, at any depth: 30, not 30.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def shown(value: Any) -> str:
    """One value as the tables show it: a string as it is, anything else as JSON."""
    value = whole_numbers(value)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        return {p: v for k, item in value.items() for p, v in _leaves(item, f"{path}.{k}" if path else k).items()}
    if isinstance(value, list) and value:
        return {p: v for i, item in enumerate(value) for p, v in _leaves(item, f"{path}[{i}]").items()}
    return {path: value}


# Structured values longer than this are shown as the parts that differ, not whole.
WHOLE_LIMIT = 40
_ABSENT = object()


def cells(left: Any, right: Any) -> tuple[str, str]:
    """Both sides of one difference: whole (the table wraps them), or for two long structured values only
    the leaves that differ, `path: value` per line, with a count of the equal ones left out."""
    whole = shown(left), shown(right)
    structured = isinstance(left, dict | list) and isinstance(right, dict | list)
    if not structured or max(map(len, whole)) <= WHOLE_LIMIT:
        return whole
    a, b = _leaves(whole_numbers(left)), _leaves(whole_numbers(right))
    paths = list(dict.fromkeys([*a, *b]))
    differing = [p for p in paths if a.get(p, _ABSENT) != b.get(p, _ABSENT)]
    equal = len(paths) - len(differing)

    def side(leaves: dict[str, Any]) -> str:
        lines = [f"{p or '(whole)'}: {shown(leaves[p]) if p in leaves else '(none)'}" for p in differing]
        return "\n".join([*lines, f"(+{equal} equal)"] if equal else lines)

    return side(a), side(b)


def _order(item: Item) -> tuple[int, str, str, bool, str, str]:
    return (COMPARISONS.index(item.comparison), item.left, item.right, item.declared, item.layer, item.resource)


def verdict(item: Item) -> str:
    """What the difference means, first (the column never hidden), then Pulumi's kind of change."""
    if item.declared:
        return "\n".join(item.declared_by) + f"\n[dim]{item.kind}[/dim]"
    word = "UNDECLARED" if item.comparison == "env_env" else "DRIFT"
    return f"[red]{word}[/red]\n[dim]{item.kind}[/dim]"


def items_table(items: list[Item]) -> Table:
    """One comparison's items. Five columns that fold rather than disappear, so the verdict stays
    visible on an 80-column terminal: the resource (name, then layer and type; once for its rows), the
    property path, both values and the verdict (the declaring keys, UNDECLARED or DRIFT, and the kind of
    change)."""
    first = items[0]
    undeclared = sum(not i.declared for i in items)
    title = (
        f"{TITLES[first.comparison]}: {first.left} vs {first.right}: {len(items)} differences, {undeclared} undeclared"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("resource", overflow="fold", ratio=3, min_width=12)
    table.add_column("path", overflow="fold", ratio=2, min_width=10)
    for column in (first.left, first.right):
        table.add_column(column, overflow="fold", ratio=3, min_width=10)
    table.add_column("declared by", overflow="fold", ratio=2, min_width=10)
    for index, item in enumerate(items):
        left, right = cells(item.left_value, item.right_value)
        same_resource = index and items[index - 1].resource == item.resource
        last_of_resource = index + 1 == len(items) or items[index + 1].resource != item.resource
        table.add_row(
            "" if same_resource else f"{escape(item.name)}\n[dim]{escape(item.layer)} {escape(item.type)}[/dim]",
            escape(item.path or "(resource)"),
            escape(left),
            escape(right),
            verdict(item),
            end_section=last_of_resource,
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
    out.print(f"wrote {path}", soft_wrap=True)  # a path is never folded

"""`make cost [ENV=] [BASE=]`: the fixed monthly cost of each environment side by side, the usage-billed items
with their unit prices, and with BASE (a plan JSON file, or an environment) what changes between BASE and
the current plan of ENV (the one environment given, or BASE's own environment)."""

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.environments import ENVIRONMENTS
from tooling.checks.cli import CommandParser, environments_parser, run_per_environment
from tooling.checks.cost.estimate import (
    LineItem,
    line_items,
    load_plan,
    price_table,
    priced_resources,
    region_of,
    total,
    usage_prices,
)
from tooling.plan.counts import count


def _money(value: float) -> str:
    return f"{value:,.2f}"


def side_by_side(plans: Mapping[str, Mapping[str, Any]]) -> Table:
    items = {env: line_items(plan) for env, plan in plans.items()}
    table = Table(
        title=f"Fixed monthly cost, USD (prices.yaml retrieved {price_table()['retrieved']}, on-demand)",
        title_justify="left",
    )
    table.add_column("item")
    for env, plan in plans.items():
        table.add_column(f"{env}\n{region_of(plan)}", justify="right")
    names = list(dict.fromkeys(i.item for env_items in items.values() for i in env_items))
    for name in names:
        cells = []
        for env in plans:
            found = [i for i in items[env] if i.item == name]
            cells.append(" ".join(f"{_money(i.monthly)} ({i.quantity:g})" for i in found) or "-")
        table.add_row(name, *cells)
    table.add_row("[bold]total[/bold]", *(f"[bold]{_money(total(items[env]))}[/bold]" for env in plans))
    table.caption = (
        "; ".join(
            f"{env}: from {priced_resources(plan)} of its {count(plan).resources_text()}" for env, plan in plans.items()
        )
        + ". The others cost nothing while idle, or are billed by use (below)."
    )
    table.caption_justify = "left"
    return table


def usage_table(plans: Mapping[str, Mapping[str, Any]]) -> Table:
    regions = list(dict.fromkeys(region_of(p) for p in plans.values()))
    by_region = {r: usage_prices(next(p for p in plans.values() if region_of(p) == r)) for r in regions}
    table = Table(title="Billed by use (not in the totals): unit prices", title_justify="left")
    table.add_column("item")
    for region in regions:
        table.add_column(region, justify="right")
    for name in by_region[regions[0]]:
        table.add_row(name, *(by_region[r].get(name, "-") for r in regions))
    return table


def difference(base: Mapping[str, Any], head: Mapping[str, Any], base_name: str, head_name: str) -> Table:
    before: dict[str, LineItem] = {i.item: i for i in line_items(base)}
    after: dict[str, LineItem] = {i.item: i for i in line_items(head)}
    change = total(list(after.values())) - total(list(before.values()))
    table = Table(title=f"What {head_name} costs against {base_name}: {change:+,.2f} USD/month", title_justify="left")
    for column in ("item", base_name, head_name, "difference"):
        table.add_column(column, justify="left" if column == "item" else "right")
    for name in dict.fromkeys([*before, *after]):
        b = before[name].monthly if name in before else 0.0
        a = after[name].monthly if name in after else 0.0
        if round(a - b, 2):
            table.add_row(name, _money(b), _money(a), f"{a - b:+,.2f}")
    return table


def base_plan(base: str, parser: CommandParser) -> dict[str, Any] | None:
    """BASE as a plan: None for an environment (planned with the others), a plan file's content, or a
    one-line usage error when it is neither."""
    if base in ENVIRONMENTS:
        return None
    path = Path(base)
    if not path.is_file():
        parser.error(
            f"--base {base!r} is neither an environment ({', '.join(ENVIRONMENTS)}) nor a plan file "
            "(build/plan/<env>.json, e.g. from an earlier commit)"
        )
    try:
        plan = load_plan(path)
    except (OSError, ValueError) as exc:
        parser.error(f"--base {base}: not a plan file: {exc}")
    if not isinstance(plan, dict) or plan.get("environment") not in ENVIRONMENTS or "layers" not in plan:
        parser.error(f"--base {base}: not a plan file (make plan writes build/plan/<env>.json)")
    return plan


def main(argv: Sequence[str]) -> int:
    parser = environments_parser("make cost", __doc__ or "")
    parser.add_argument(
        "--base", help="a plan JSON file (build/plan/<env>.json of an earlier commit) or an environment"
    )
    args = parser.parse_args(argv)
    base = base_plan(args.base, parser) if args.base else None
    plans: dict[str, dict[str, Any]] = {}

    def collect(env: str, plan: dict[str, Any], console: Console) -> int:
        plans[env] = plan
        return 0

    console = Console(emoji=False, highlight=False)
    if args.base:
        head_env = (args.environments or [args.base if base is None else str(base["environment"])])[0]
        wanted = [head_env] + ([args.base] if base is None and args.base != head_env else [])
        if code := run_per_environment(wanted, collect):
            return code
        console.print(difference(plans[args.base] if base is None else base, plans[head_env], args.base, head_env))
        return 0
    if code := run_per_environment(args.environments, collect):
        return code
    console.print(side_by_side(plans))
    console.print(usage_table(plans))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

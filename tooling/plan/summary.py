"""The terminal summary of a plan: per layer, its declared settings, resources by type and outputs; then
the environment's total, in the counts every command uses (`tooling.plan.counts`)."""

import json
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.contracts import DEPLOY_ORDER
from tooling.plan.counts import count, is_resource
from tooling.plan.engine import stack_config


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_header=True)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def print_summary(plan: dict[str, Any], console: Console) -> None:
    env = plan["environment"]
    for layer in plan["layers"]:
        name = layer["name"]
        config, _ = stack_config(name, env)
        declared = {k: v for k, v in config.items() if not k.startswith("platform:") or name == DEPLOY_ORDER[0]}
        settings = _table(f"{env} / {name}: declared settings (Pulumi.{env}.yaml)", "key", "value")
        for key, value in declared.items():
            settings.add_row(key, _text(value))
        console.print(settings)

        custom = [r for r in layer["resources"] if is_resource(r)]
        resources = _table(f"{env} / {name}: {count(layer).resources_text()}", "resource type", "count")
        for resource_type, of_type in sorted(Counter(r["type"] for r in custom).items()):
            resources.add_row(resource_type, str(of_type))
        console.print(resources)

        outputs = _table(f"{env} / {name}: exported outputs", "output", "value")
        for key, value in layer["outputs"].items():
            outputs.add_row(key, _text(value))
        console.print(outputs)
    console.print(f"{env}: {count(plan).describe()}", soft_wrap=True)

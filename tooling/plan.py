"""`make plan`: the four layers of an environment, in deploy order, under Pulumi's mock runtime.

No CLI, no AWS, no network. Each layer's StackReferences are answered with the outputs the
layer below produced in the same run. Writes build/plan/<env>.json and prints a summary.
"""

import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pulumi
from rich.console import Console
from rich.table import Table

from shared.config import read_stack_file
from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from tooling.mock_runtime import SECRET_PLACEHOLDER, run_program

REPO = Path(__file__).resolve().parent.parent
PLAN_DIR = REPO / "build" / "plan"
DEFAULT_ORG = "organization"


@dataclass
class LayerPlan:
    name: str
    project: str
    stack: str
    resources: list[dict[str, Any]]
    outputs: dict[str, Any]


def stack_config(layer: str, env: str) -> tuple[dict[str, Any], list[str]]:
    """A layer's stack file as the engine would pass it; secrets become a visible placeholder."""
    path = REPO / layer / f"Pulumi.{env}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path.relative_to(REPO)} is missing: every layer needs a stack file per environment")
    config = read_stack_file(path)
    secret_keys = [k for k, v in config.items() if isinstance(v, dict)]
    return {k: (SECRET_PLACEHOLDER if k in secret_keys else v) for k, v in config.items()}, secret_keys


def plan_environment(env: str) -> dict[str, Any]:
    upstream: dict[str, dict[str, Any]] = {}
    layers: list[LayerPlan] = []
    for layer in DEPLOY_ORDER:
        config, secret_keys = stack_config(layer, env)
        org = config.get("platform:stackOrg", DEFAULT_ORG)
        region = str(config.get("platform:region", ""))
        run = run_program(
            project=layer, stack=env, config=config, region=region, upstream=upstream, secret_keys=secret_keys
        )
        fqn = f"{org}/{layer}/{env}"
        upstream[fqn] = run.outputs
        layers.append(LayerPlan(layer, layer, fqn, run.resources, run.outputs))
    return {"environment": env, "layers": [asdict(layer) for layer in layers]}


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_header=True)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def summary(plan: dict[str, Any], console: Console) -> None:
    env = plan["environment"]
    for layer in plan["layers"]:
        name = layer["name"]
        config, _ = stack_config(name, env)
        declared = {k: v for k, v in config.items() if not k.startswith("platform:") or name == DEPLOY_ORDER[0]}
        settings = _table(f"{env} / {name}: declared settings (Pulumi.{env}.yaml)", "key", "value")
        for key, value in declared.items():
            settings.add_row(key, _text(value))
        console.print(settings)

        custom = [r for r in layer["resources"] if r["custom"] and not r["type"].startswith("pulumi:")]
        resources = _table(f"{env} / {name}: {len(custom)} resources", "resource type", "count")
        for resource_type, count in sorted(Counter(r["type"] for r in custom).items()):
            resources.add_row(resource_type, str(count))
        console.print(resources)

        outputs = _table(f"{env} / {name}: exported outputs", "output", "value")
        for key, value in layer["outputs"].items():
            outputs.add_row(key, _text(value))
        console.print(outputs)


def requested_environments(argv: list[str], console: Console) -> list[str] | None:
    """The environments named on the command line (all of them when none); None, after saying
    why, when a name is not an environment."""
    unknown = [e for e in argv if e not in ENVIRONMENTS]
    if unknown:
        console.print(f"[red]Unknown environment {', '.join(unknown)}; allowed: {', '.join(ENVIRONMENTS)}[/red]")
        return None
    return argv or list(ENVIRONMENTS)


def main(argv: list[str]) -> int:
    console = Console(emoji=False, highlight=False)
    envs = requested_environments(argv, console)
    if envs is None:
        return 2
    PLAN_DIR.mkdir(parents=True, exist_ok=True)
    for env in envs:
        try:
            plan = plan_environment(env)
        except (pulumi.RunError, FileNotFoundError, KeyError, ValueError) as exc:
            console.print(f"[red]plan {env} failed:[/red] {exc}", highlight=False)
            return 1
        out = PLAN_DIR / f"{env}.json"
        out.write_text(json.dumps(plan, indent=2, sort_keys=False) + "\n")
        summary(plan, console)
        console.print(f"[green]wrote {out.relative_to(REPO)}[/green]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where the repository is and how its stack files read: the one place that knows both.

Layers, the offline plan, the checks over plans and the real-CLI driver all read
`<layer>/Pulumi.<env>.yaml` through these functions, so they see the same flat config the Pulumi
engine hands to a program.
"""

import json
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
# The org of fully qualified stack names on self-managed backends (file://, s3://, ...), which know
# no other; also the default of `platform:stackOrg`.
DEFAULT_ORG = "organization"


def stack_file(layer: str, env: str) -> Path:
    return REPO / layer / f"Pulumi.{env}.yaml"


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` block of a Pulumi.<stack>.yaml as flat `namespace:key` -> value strings.

    Structured values become JSON strings, exactly as the Pulumi engine passes them; encrypted
    values stay `{"secure": ...}` (only the Pulumi CLI can decrypt them).
    """
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            flat[key] = value
        elif isinstance(value, dict | list):
            flat[key] = json.dumps(value)
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        else:
            flat[key] = str(value)
    return flat


def read_layer_config(layer: str, env: str) -> dict[str, Any]:
    """One layer's stack file of one environment; a missing file says what every layer needs."""
    path = stack_file(layer, env)
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(REPO)} is missing: every layer needs a stack file per environment")
    return read_stack_file(path)


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Stack name -> its Pulumi.<stack>.yaml, for every stack declared in a project directory."""
    return {p.name[len("Pulumi.") : -len(".yaml")]: p for p in sorted(project_dir.glob("Pulumi.*.yaml"))}

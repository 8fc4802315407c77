"""Where the repository is and how its stack files read: the one place that knows both.

Layers, the offline plan, the checks over plans and the real-CLI driver all read
`<layer>/Pulumi.<env>.yaml` through these functions, so they see the same flat config the Pulumi
engine hands to a program: the project's own `config:` values from `<layer>/Pulumi.yaml`, which every
stack inherits, replaced key by key by what the stack file sets.
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


def _flat(value: Any) -> Any:
    """A config value as the Pulumi engine passes it: structured values as JSON strings, booleans as
    `true`/`false`, encrypted values as `{"secure": ...}` (only the Pulumi CLI can decrypt them)."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` block of a Pulumi.<stack>.yaml alone, as flat `namespace:key` -> value strings."""
    document = yaml.safe_load(path.read_text()) or {}
    return {key: _flat(value) for key, value in (document.get("config") or {}).items()}


# What a project-level config entry may say (Pulumi's project file reference, `config` options).
_PROJECT_CONFIG_ATTRIBUTES = frozenset({"type", "description", "items", "default", "value", "secret"})


def read_project_config(project_dir: Path) -> dict[str, Any]:
    """The values `<project_dir>/Pulumi.yaml` gives every stack of the project, flat like a stack file.

    Read as the Pulumi CLI reads a project's `config:` block: a key without a namespace belongs to the
    project (`<name>:<key>`); a scalar or a list is the value itself; a mapping is an entry whose `value`
    (or, for the project's own keys, `default`) is the value, and an entry with neither declares a key
    without giving it a value. An entry Pulumi refuses is refused here, naming the key and why.
    """
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():  # a directory of stack files alone (a scratch copy): nothing to inherit
        return {}
    document = yaml.safe_load(path.read_text()) or {}
    project = str(document.get("name", ""))
    values: dict[str, Any] = {}
    for raw_key, entry in (document.get("config") or {}).items():
        key = str(raw_key) if ":" in str(raw_key) else f"{project}:{raw_key}"
        own = key.startswith(f"{project}:")
        if not isinstance(entry, dict):
            values[key] = _flat(entry)
            continue
        where = f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: config: {raw_key}"
        unknown = sorted(set(entry) - _PROJECT_CONFIG_ATTRIBUTES)
        if unknown:
            raise ValueError(
                f"{where}: {', '.join(unknown)} is not an attribute of a project config entry; allowed: "
                f"{', '.join(sorted(_PROJECT_CONFIG_ATTRIBUTES))} (a structured value goes under value:)"
            )
        if "value" in entry and "default" in entry:
            raise ValueError(f"{where}: give either value or default, not both")
        if not own and "default" in entry:
            raise ValueError(f"{where}: a key of another namespace than {project!r} takes value:, not default:")
        if "value" in entry or "default" in entry:
            values[key] = _flat(entry.get("value", entry.get("default")))
    return values


def read_effective_config(path: Path) -> dict[str, Any]:
    """What the Pulumi CLI hands the program of the stack whose file is `path`: the project's values
    (its Pulumi.yaml, next to the stack file), each replaced as a whole by the stack file's own."""
    return {**read_project_config(path.parent), **read_stack_file(path)}


def read_layer_config(layer: str, env: str) -> dict[str, Any]:
    """One layer's configuration in one environment; a missing stack file says what every layer needs."""
    path = stack_file(layer, env)
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(REPO)} is missing: every layer needs a stack file per environment")
    return read_effective_config(path)


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Stack name -> its Pulumi.<stack>.yaml, for every stack declared in a project directory."""
    return {p.name[len("Pulumi.") : -len(".yaml")]: p for p in sorted(project_dir.glob("Pulumi.*.yaml"))}

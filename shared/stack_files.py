"""Where the repository is and how its stack files read: the one place that knows both.

Layers, the offline plan, the checks over plans and the real-CLI driver all read
`<layer>/Pulumi.<env>.yaml` through these functions, so they see the same flat config the Pulumi
engine hands to a program: the project's own `config:` values from `<layer>/Pulumi.yaml`, which every
stack inherits, replaced key by key by what the stack file sets. A file that is not valid YAML,
repeats a key, or is not shaped like a Pulumi stack file is refused with one line per problem naming
the file, line and column.
"""

import json
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

from shared.errors import StackFileError

REPO = Path(__file__).resolve().parent.parent
# The org of fully qualified stack names on self-managed backends (file://, s3://, ...), which know
# no other; also the default of `platform:stackOrg`.
DEFAULT_ORG = "organization"
# The top-level keys of a Pulumi.<stack>.yaml (Pulumi's project-and-stack settings reference).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
_MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml's parser when PyYAML was built with it (its wheels are): about ten times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, refusing a key repeated in one mapping (YAML 1.2 forbids it; PyYAML keeps
    the last value, and Pulumi's own parser refuses the file)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int | float | bool) and key in first:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first on line {first[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            first.setdefault(key, key_node)
        return super().construct_mapping(node, deep=deep)


def shown_path(path: Path) -> str:
    """A stack file's path as messages show it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(REPO.resolve()).as_posix()
    except ValueError:
        return str(path)


def _yaml_problem(where: str, text: str, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    position = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
    problem = getattr(error, "problem", None) or str(error)
    if mark and text[mark.index : mark.index + 1] == "\t":
        problem += " (a tab: YAML indents with spaces)"
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    started = (
        f" ({context} started at {context_mark.line + 1}:{context_mark.column + 1})" if context and context_mark else ""
    )
    return f"{position}: invalid YAML: {problem}{started}"


def read_stack_document(path: Path) -> dict[str, Any]:
    """The whole Pulumi.<stack>.yaml as a mapping; StackFileError naming file, line and column when it
    is not valid YAML, repeats a key or is not shaped like a stack file."""
    where, text = shown_path(path), path.read_text()
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        raise StackFileError([_yaml_problem(where, text, error)]) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(
            [f"{where}:1:1: a stack file is a mapping with a config: block, not a {type(document).__name__}"]
        )
    unknown = sorted(str(k) for k in document if k not in STACK_FILE_KEYS)
    problems = [f"{where}: unknown top-level key {key!r}; allowed: {', '.join(STACK_FILE_KEYS)}" for key in unknown]
    config = document.get("config")
    if config is not None and not isinstance(config, dict):
        problems.append(f"{where}: config: must be a mapping of namespace:key: value, not a {type(config).__name__}")
    elif config:
        problems += [
            f"{where}: config: {key!r} has no value; write '' for an empty string or remove the key"
            for key, value in config.items()
            if value is None
        ]
    if problems:
        raise StackFileError(problems)
    return document


def _flat(value: Any) -> Any:
    """A config value as the Pulumi engine passes it: structured values as JSON strings, booleans as
    `true`/`false`, encrypted values as `{"secure": ...}` (only the Pulumi CLI can decrypt them)."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` block of a Pulumi.<stack>.yaml alone, as flat `namespace:key` -> value strings."""
    config = read_stack_document(path).get("config") or {}
    return {str(key): _flat(value) for key, value in config.items()}


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
    where, text = shown_path(path), path.read_text()
    try:
        document = yaml.load(text, Loader=_StrictLoader) or {}  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        raise StackFileError([_yaml_problem(where, text, error)]) from None
    project = str(document.get("name", ""))
    values: dict[str, Any] = {}
    problems: list[str] = []
    for raw_key, entry in (document.get("config") or {}).items():
        key = str(raw_key) if ":" in str(raw_key) else f"{project}:{raw_key}"
        if not isinstance(entry, dict):
            values[key] = _flat(entry)
            continue
        unknown = sorted(set(entry) - _PROJECT_CONFIG_ATTRIBUTES)
        if unknown:
            problems.append(
                f"{where}: config: {raw_key}: {', '.join(unknown)} is not an attribute of a project config entry; "
                f"allowed: {', '.join(sorted(_PROJECT_CONFIG_ATTRIBUTES))} (a structured value goes under value:)"
            )
        elif "value" in entry and "default" in entry:
            problems.append(f"{where}: config: {raw_key}: give either value or default, not both")
        elif "default" in entry and not key.startswith(f"{project}:"):
            problems.append(
                f"{where}: config: {raw_key}: a key of another namespace than {project!r} takes value:, not default:"
            )
        elif "value" in entry or "default" in entry:
            values[key] = _flat(entry.get("value", entry.get("default")))
    if problems:
        raise StackFileError(problems)
    return values


def read_effective_config(path: Path) -> dict[str, Any]:
    """What the Pulumi CLI hands the program of the stack whose file is `path`: the project's values
    (its Pulumi.yaml, next to the stack file), each replaced as a whole by the stack file's own."""
    return {**read_project_config(path.parent), **read_stack_file(path)}


def stack_file(layer: str, env: str) -> Path:
    return REPO / layer / f"Pulumi.{env}.yaml"


def read_layer_config(layer: str, env: str) -> dict[str, Any]:
    """One layer's configuration in one environment; a missing stack file says what every layer needs."""
    path = stack_file(layer, env)
    if not path.is_file():
        raise StackFileError([f"{shown_path(path)} is missing: every layer needs a stack file per environment"])
    return read_effective_config(path)


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Stack name -> its Pulumi.<stack>.yaml, for every stack declared in a project directory."""
    return {p.name[len("Pulumi.") : -len(".yaml")]: p for p in sorted(project_dir.glob("Pulumi.*.yaml"))}

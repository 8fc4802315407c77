"""What one environment's plan at the head does to its plan at the base, resource by resource.

Resources are matched by URN, or by an alias the head's code declares (`aliases=[...]`: the resource
was renamed, not replaced). Each matched resource's inputs and options are compared property by
property; JSON documents held in a string (IAM policies) are compared as the documents they are, so
a new action is one line. Properties in the resource's `ignoreChanges` never differ (`DeployedAt`).

A resource whose URN changed without an alias is what Pulumi will do with it: delete it and create
another. Such pairs (same type, same physical id or the same inputs) are listed as renames, so the
reviewer sees the replacement and can declare the alias instead.
"""

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from tooling.checks.broadening import drop_ignored
from tooling.review.replacement import ReplacementRules

OPTIONS = ("protect", "retainOnDelete", "ignoreChanges", "provider", "parent")
Action = Literal["create", "delete", "update"]
Replacement = Literal["yes", "no", "unknown"]
ROOT_STACK = "pulumi:pulumi:Stack"


class PropertyChange(BaseModel):
    path: str = Field(description="property path: `instanceClass`, `policy.Statement[0].Action[+]`, `<protect>`")
    before: Any = Field(description="the base's value (null: absent)")
    after: Any = Field(description="the head's value (null: absent)")
    forces_replacement: bool | None = Field(description="the provider schema's word; null when it cannot be known")


class ResourceChange(BaseModel):
    layer: str
    resource: str = Field(description="the URN without its stack: <project>::<type chain>::<name>")
    type: str
    action: Action
    replacement: Replacement | None = Field(
        description="update only: yes when a changed property forces a new resource, unknown without a schema"
    )
    protected: bool = Field(description="protect is set on the base (delete, replace) or the head (create, update)")
    renamed_from: str | None = Field(default=None, description="the base's URN key the head's alias matched")
    changes: list[PropertyChange] = Field(default_factory=list)

    @property
    def name(self) -> str:
        return self.resource.rsplit("::", 1)[-1]


class Rename(BaseModel):
    """A resource the head declares under another logical name without an alias: delete + create."""

    layer: str
    type: str
    before: str
    after: str
    protected: bool


class PlanDiff(BaseModel):
    resources: list[ResourceChange]
    renames: list[Rename]

    def count(self, action: Action) -> int:
        return sum(1 for r in self.resources if r.action == action)

    @property
    def replaced(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.replacement == "yes"]


def resource_key(urn: str) -> str:
    """The URN without `urn:pulumi:<stack>::`: the same resource in the base's and the head's plan."""
    return urn.split("::", 1)[1]


def _alias_key(urn: str) -> str:
    """An alias URN as the resource key it names. The SDK puts the root stack's type at the head of the type
    chain of an alias whose parent is the stack; the resources' own URNs, like the engine's, leave it out."""
    project, chain = resource_key(urn).split("::", 1)
    return f"{project}::{chain.removeprefix(ROOT_STACK + '$')}"


def _custom(plan: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {
        resource_key(record["urn"]): (layer["name"], record)
        for layer in plan["layers"]
        for record in layer["resources"]
        if record["custom"]
    }


def _document(value: Any) -> Any:
    """A JSON object or array held in a string, as the value it encodes (else the value itself)."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _leaf_changes(before: Any, after: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    before, after = _document(before), _document(after)
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from _leaf_changes(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _leaf_changes(old, new, f"{path}[{index}]")
    elif isinstance(before, list) and isinstance(after, list) and all(map(_scalar, [*before, *after])):
        # A list of names that grew or shrank (IAM actions, subnet ids): what left it and what joined it.
        removed, added = Counter(before) - Counter(after), Counter(after) - Counter(before)
        yield from ((f"{path}[-]", value, None) for value in removed.elements())
        yield from ((f"{path}[+]", None, value) for value in added.elements())
    else:
        yield path, before, after


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _inputs(record: Mapping[str, Any]) -> dict[str, Any]:
    inputs = drop_ignored(json.loads(json.dumps(record.get("inputs") or {})), record.get("ignoreChanges") or ())
    return inputs | {f"<{option}>": _option(record, option) for option in OPTIONS}


def _option(record: Mapping[str, Any], option: str) -> Any:
    value = record.get(option)
    if option in ("provider", "parent") and isinstance(value, str):
        return resource_key(value.rsplit("::", 1)[0] if option == "provider" else value)  # drop the provider id
    return value


def property_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], rules: ReplacementRules
) -> list[PropertyChange]:
    old, new = _inputs(before), _inputs(after)
    changes = []
    for key in sorted(set(old) | set(new)):
        for path, a, b in _leaf_changes(old.get(key), new.get(key), key):
            forces = False if key.startswith("<") else rules.forces_replacement(after["type"], path)
            if key == "<provider>":
                forces = None  # a resource moved to another provider: the engine decides, and may replace it
            changes.append(PropertyChange(path=path, before=a, after=b, forces_replacement=forces))
    return changes


def _replacement(changes: list[PropertyChange]) -> Replacement:
    if any(c.forces_replacement for c in changes):
        return "yes"
    return "unknown" if any(c.forces_replacement is None for c in changes) else "no"


def _renames(
    deleted: dict[str, tuple[str, Mapping[str, Any]]], created: dict[str, tuple[str, Mapping[str, Any]]]
) -> list[Rename]:
    renames = []
    unmatched = dict(created)
    for old_key, (layer, old) in sorted(deleted.items()):
        old_inputs = _inputs(old) | {"<parent>": None}
        for new_key, (_, new) in sorted(unmatched.items()):
            same_inputs = (_inputs(new) | {"<parent>": None}) == old_inputs
            same_id = bool(old.get("id")) and old.get("id") == new.get("id")
            if new["type"] == old["type"] and (same_id or same_inputs):
                renames.append(
                    Rename(layer=layer, type=old["type"], before=old_key, after=new_key, protected=bool(old["protect"]))
                )
                del unmatched[new_key]
                break
    return renames


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any], rules: ReplacementRules) -> PlanDiff:
    """Every custom resource the head creates, deletes or changes against the base."""
    before, after = _custom(base), _custom(head)
    matched: dict[str, str] = {}  # head key -> base key
    for key, (_, record) in after.items():
        if key in before:
            matched[key] = key
            continue
        keys = [key for urn in record.get("aliases") or () for key in (resource_key(urn), _alias_key(urn))]
        alias = next((k for k in keys if k in before), None)
        if alias is not None:
            matched[key] = alias
    changes: list[ResourceChange] = []
    for key, (layer, record) in after.items():
        if key not in matched:
            changes.append(_whole(layer, key, record, "create"))
            continue
        old_key = matched[key]
        found = property_changes(before[old_key][1], record, rules)
        if not found and old_key == key:
            continue
        changes.append(
            ResourceChange(
                layer=layer,
                resource=key,
                type=record["type"],
                action="update",
                replacement=_replacement(found),
                protected=bool(record["protect"] or before[old_key][1]["protect"]),
                renamed_from=None if old_key == key else old_key,
                changes=found,
            )
        )
    gone = set(before) - set(matched.values())
    changes += [_whole(before[key][0], key, before[key][1], "delete") for key in gone]
    deleted = {k: before[k] for k in gone}
    created = {k: after[k] for k in after if k not in matched}
    order = {"delete": 0, "update": 1, "create": 2}
    changes.sort(key=lambda c: (order.get(c.action, 3), c.layer, c.resource))
    return PlanDiff(resources=changes, renames=_renames(deleted, created))


def _whole(layer: str, key: str, record: Mapping[str, Any], action: Action) -> ResourceChange:
    return ResourceChange(
        layer=layer,
        resource=key,
        type=record["type"],
        action=action,
        replacement=None,
        protected=bool(record["protect"]),
    )

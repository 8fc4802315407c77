"""The one report of `make drift`, `make compare` and `make parity`: items, summary, exit code.

An item is one difference between two sides of one comparison:

- `code_state`: what the code declares now (right) against the deployed state (left), from a preview;
- `state_cloud`: what the cloud holds (right) against the deployed state (left), from a refresh preview;
- `env_env`: one environment (right) against another (left), deployed stacks or offline plans.

The JSON form is versioned (`schema_version`) and documented in docs/drift.md. Values are redacted
(`tooling.checks.redact`) before an item is built, and once more before anything is written.
"""

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tooling.checks.redact import Redactor

SCHEMA_VERSION = 1

# Exit codes, mirroring the Pulumi CLI's: 7 is its "expected no changes, found some".
CLEAN = 0
UNEXPECTED = 1
USAGE = 2
FOUND = 7

Comparison = Literal["code_state", "state_cloud", "env_env"]
COMPARISONS: tuple[Comparison, ...] = ("code_state", "state_cloud", "env_env")
# Pulumi's diff kinds for a property; for a whole resource (path null) `add`, `delete` or `replace`.
Kind = Literal["add", "add-replace", "delete", "delete-replace", "update", "update-replace", "replace"]


class Item(BaseModel):
    """One difference. `path` is null when the whole resource differs (then the values say whether
    it exists on each side); `declared_by` lists the stack-config keys that declare an env_env
    difference (empty: undeclared; drift is never declared)."""

    model_config = ConfigDict(frozen=True)

    comparison: Comparison
    layer: str
    left: str = Field(description="<env>:<side>, side one of state, plan, deployed")
    right: str = Field(description="<env>:<side>, side one of code, cloud, plan, deployed")
    resource: str = Field(description="the URN without its stack: <project>::<type chain>::<name>")
    type: str
    path: str | None
    left_value: Any
    right_value: Any
    kind: Kind
    declared_by: tuple[str, ...] = ()

    @property
    def declared(self) -> bool:
        return bool(self.declared_by)

    @property
    def name(self) -> str:
        return self.resource.rsplit("::", 1)[-1]


class Count(BaseModel):
    """What one comparison of one layer looked at and found. `operations` are the engine's steps by
    op (`same`, `update`, `delete`, ...) counted from its events; empty for env_env."""

    resources: int = 0
    differences: int = 0
    undeclared: int = 0
    operations: dict[str, int] = Field(default_factory=dict)


class Summary(BaseModel):
    resources_checked: int
    differences: int
    undeclared: int
    counts: dict[str, dict[Comparison, Count]] = Field(description="layer -> comparison -> count")


class Report(BaseModel):
    schema_version: int = SCHEMA_VERSION
    command: Literal["drift", "compare", "parity"]
    environments: tuple[str, ...]
    source: Literal["deployed", "plan"]
    backend: str | None = None
    summary: Summary
    items: tuple[Item, ...]

    @property
    def exit_code(self) -> int:
        return FOUND if self.summary.undeclared else CLEAN

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


class Tally:
    """Collects per layer and comparison what was checked (resources, engine operations) while the
    items are found, so the summary says how much was looked at, not only what differed."""

    def __init__(self) -> None:
        self._resources: dict[tuple[str, Comparison], set[str]] = {}
        self._operations: dict[tuple[str, Comparison], dict[str, int]] = {}

    def resources(self, layer: str, comparison: Comparison, names: Iterable[str]) -> None:
        self._resources.setdefault((layer, comparison), set()).update(names)

    def operation(self, layer: str, comparison: Comparison, op: str) -> None:
        counts = self._operations.setdefault((layer, comparison), {})
        counts[op] = counts.get(op, 0) + 1

    def summary(self, layers: Sequence[str], items: Sequence[Item]) -> Summary:
        counts: dict[str, dict[Comparison, Count]] = {}
        for layer in layers:
            for comparison in COMPARISONS:
                key = (layer, comparison)
                found = [i for i in items if i.layer == layer and i.comparison == comparison]
                if key not in self._resources and key not in self._operations and not found:
                    continue
                counts.setdefault(layer, {})[comparison] = Count(
                    resources=len(self._resources.get(key, ())),
                    differences=len(found),
                    undeclared=sum(not i.declared for i in found),
                    operations=dict(sorted(self._operations.get(key, {}).items())),
                )
        checked = sum(
            len(set().union(*(names for (lay, _), names in self._resources.items() if lay == layer)))
            for layer in layers
        )
        return Summary(
            resources_checked=checked,
            differences=len(items),
            undeclared=sum(not i.declared for i in items),
            counts=counts,
        )


def build_report(
    *,
    command: Literal["drift", "compare", "parity"],
    environments: Sequence[str],
    source: Literal["deployed", "plan"],
    layers: Sequence[str],
    items: Iterable[Item],
    tally: Tally,
    redactor: Redactor,
    backend: str | None = None,
) -> Report:
    """The report, with every value passed through the redactor once more (nothing leaves unredacted)."""
    redacted = tuple(
        item.model_copy(
            update={"left_value": redactor.value(item.left_value), "right_value": redactor.value(item.right_value)}
        )
        for item in items
    )
    return Report(
        command=command,
        environments=tuple(environments),
        source=source,
        backend=redactor.text(backend) if backend else None,
        summary=tally.summary(layers, redacted),
        items=redacted,
    )

"""The engine's steps (preview and refresh-preview events) as report items.

A step says which properties differ (`detailedDiff`, else `diffs`, else the two states compared
here) and the kind of each difference; the values come from the step's `old` and `new` states,
and from the stack export where the event carries no old state. Secrets are masked by the
engine (`[secret]`) and again by the redactor.

- code vs state (`pulumi preview`): `old` is the deployed state, `new` what the code declares;
  `create` and `delete` steps are resources the code adds or no longer declares.
- state vs cloud (`pulumi refresh --preview-only`): `old` is the state, `new` what the provider
  read; a `delete` (or a refresh step without a new state) is a resource gone from the cloud.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.automation.events import DiffKind, OpType, StepEventMetadata, StepEventStateMetadata

from shared.providers import without_run_identity
from tooling.checks.redact import Redactor
from tooling.checks.report import Comparison, Item, Kind, Tally

# Steps that change nothing. A refresh step changes something only when it carries a difference.
UNCHANGED = {OpType.SAME, OpType.READ, OpType.REFRESH}
# The halves of a replacement that the `replace` step already reports.
REPLACEMENT_HALVES = {OpType.CREATE_REPLACEMENT, OpType.DELETE_REPLACED}
PROVIDER_PREFIX = "pulumi:providers:"
SIDES: Mapping[Comparison, tuple[str, str]] = {"code_state": ("state", "code"), "state_cloud": ("state", "cloud")}
KINDS: Mapping[str, Kind] = {kind.value: kind.value for kind in DiffKind}
_MISSING = object()
_PATH_PART = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.\[\]]+)')


def resolve(value: Any, path: str) -> Any:
    """The value at a Pulumi property path (`tags.Name`, `ingress[0].cidrBlocks`, `tags["a.b"]`)."""
    for quoted, index, name in _PATH_PART.findall(path):
        if index and isinstance(value, list):
            value = value[int(index)] if int(index) < len(value) else _MISSING
        elif isinstance(value, Mapping):
            value = value.get(quoted or name or index, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def leaf_diff(left: Any, right: Any, path: str = "") -> list[tuple[str, Kind]]:
    """Paths that differ between two states, when the engine gave none."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        found: list[tuple[str, Kind]] = []
        for key in sorted(set(left) | set(right)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in left:
                found.append((sub, "add"))
            elif key not in right:
                found.append((sub, "delete"))
            else:
                found += leaf_diff(left[key], right[key], sub)
        return found
    return [] if left == right else [(path, "update")]


class StepReader:
    """Turns one layer's steps of one comparison into items, counting every step it reads."""

    def __init__(
        self,
        comparison: Comparison,
        layer: str,
        env: str,
        *,
        state: Mapping[str, Mapping[str, Any]],
        redactor: Redactor,
        tally: Tally,
    ) -> None:
        self.comparison = comparison
        self.layer = layer
        self.left, self.right = (f"{env}:{side}" for side in SIDES[comparison])
        self.state = state
        self.redactor = redactor
        self.tally = tally

    def items(self, steps: Sequence[StepEventMetadata]) -> list[Item]:
        found: list[Item] = []
        for step in steps:
            self.tally.resources(self.layer, self.comparison, [step.urn])
            self.tally.operation(self.layer, self.comparison, step.op.value)
            found += self._step(step)
        return found

    def _item(self, step: StepEventMetadata, path: str | None, left: Any, right: Any, kind: Kind) -> Item:
        return Item(
            comparison=self.comparison,
            layer=self.layer,
            left=self.left,
            right=self.right,
            resource=step.urn.split("::", 1)[1],
            type=step.type,
            path=path,
            left_value=None if left is _MISSING else self.redactor.value(left),
            right_value=None if right is _MISSING else self.redactor.value(right),
            kind=kind,
        )

    def _props(self, step: StepEventMetadata, state: StepEventStateMetadata | None, side: str) -> dict[str, Any]:
        """One side's properties, masked with what the export knows about the resource's secrets."""
        exported = self.state.get(step.urn, {})
        values = getattr(state, side, None) if state else None
        if values is None:
            values = exported.get(side) or {}
        masked = {"additionalSecretOutputs": exported.get("additionalSecretOutputs"), side: values}
        return self.redactor.resource(masked)[side]

    def _step(self, step: StepEventMetadata) -> list[Item]:
        op = step.op
        gone = self.comparison == "state_cloud" and op == OpType.REFRESH and step.new is None and step.old is not None
        if op == OpType.DELETE or gone:
            return [self._item(step, None, True, False, "delete")]
        if op == OpType.CREATE:
            return [self._item(step, None, False, True, "add")]
        if op in REPLACEMENT_HALVES:
            return []
        if self.comparison == "code_state":
            left = {**self._props(step, step.old, "outputs"), **self._props(step, step.old, "inputs")}
            right = self._props(step, step.new, "inputs")
        else:
            left, right = self._props(step, step.old, "outputs"), self._props(step, step.new, "outputs")
        paths = self._paths(step, left, right)
        if step.type.startswith(PROVIDER_PREFIX):
            paths = self._beyond_run_identity(paths, left, right)
            if not paths and op == OpType.UPDATE:
                return []
        if op in UNCHANGED and not paths:
            return []
        items = [self._item(step, None, True, True, "replace")] if op == OpType.REPLACE else []
        return items + [self._item(step, path, resolve(left, path), resolve(right, path), kind) for path, kind in paths]

    @staticmethod
    def _beyond_run_identity(
        paths: list[tuple[str, Kind]], left: Mapping[str, Any], right: Mapping[str, Any]
    ) -> list[tuple[str, Kind]]:
        """A provider's differences that remain once who ran the command is taken out (the deployer tag,
        the deploy or drift role): a drift check run by someone else than the last deploy is no drift."""
        left, right = without_run_identity(left), without_run_identity(right)
        return [(path, kind) for path, kind in paths if resolve(left, path) != resolve(right, path)]

    def _paths(
        self, step: StepEventMetadata, left: Mapping[str, Any], right: Mapping[str, Any]
    ) -> list[tuple[str, Kind]]:
        if step.detailed_diff:
            return [(path, KINDS[diff.diff_kind.value]) for path, diff in sorted(step.detailed_diff.items())]
        if step.diffs:
            return [(path, "update") for path in sorted(step.diffs)]
        if step.op in UNCHANGED and self.comparison == "code_state":
            return []  # the code's inputs and the state's outputs differ by nature; the engine said "same"
        return leaf_diff(left, right)

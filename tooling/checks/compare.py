"""The one environment comparator: two environments, resource by resource, property by property.

`make parity` (offline plans of neighbouring environments) and `make compare` (deployed stacks,
or offline plans with SOURCE=plan) both call `compare`. Both sides have the shape of
`pulumi stack export` grouped by layer (`{"layers": [{"name", "resources"}]}`): an offline plan is
that already, and `tooling.stacks.automation` builds it from the layers' exports.

Resources are matched by URN without the stack, after replacing identity values (environment,
suffix, region) with placeholders and every provider-computed value (ids, ARNs, endpoints) with a
reference to the resource that computed it. What is left must be explained by a key whose value
differs between the two environments' stack files and whose entry in `shared/variations.py`
declares that difference; anything else is an undeclared item.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any, Literal

from shared.contracts import DEPLOY_ORDER
from shared.stack_files import read_layer_config
from shared.variations import IDENTITY_KEYS, VARIATIONS, Variation
from tooling.checks.redact import Redactor
from tooling.checks.report import Item, Kind, Report, Tally, build_report

OPTIONS = ("protect", "retainOnDelete", "ignoreChanges")
COMPUTING_PACKAGES = ("aws:", "random:")
# What providers compute: ARNs, endpoints and URLs, prefixed ids (vpc-0abc...), key ids, API ids.
COMPUTED = re.compile(
    r"^(arn:.+|https?://.+|.+\.amazonaws\.com(:\d+)?|[a-z0-9]+-[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{10}"
    # ELB ARN suffixes (CloudWatch's LoadBalancer and TargetGroup dimensions): app/<name>/<id>, targetgroup/<name>/<id>
    r"|(app|net|targetgroup)/[A-Za-z0-9-]+/[0-9a-f]{16}"
    # RDS resource ids (DbiResourceId, DbClusterResourceId): how IAM database authentication names a database
    r"|(db|cluster)-[A-Z0-9]{26})$"
)
# The id at the end of an ARN (`...:db-proxy:prx-0123abcd...`), which IAM names on its own in other ARNs
# (`arn:aws:rds-db:...:dbuser:prx-0123abcd.../<user>`).
ARN_RESOURCE_ID = re.compile(r"^arn:.+[:/]([a-z]+-[0-9a-f]{8,})$")
Source = Literal["plan", "deployed"]


_DEVICE_DIR, _DEVICE_DIR_MARK = "/dev/", "\x00LINUX-DEVICES\x00"


@dataclass(frozen=True)
class Side:
    """One environment's resources, from an offline plan or its deployed stacks."""

    env: str
    source: Source
    snapshot: Mapping[str, Any]  # {"layers": [{"name": layer, "resources": [export-shaped resource]}]}
    config: Mapping[str, Any] | None = None  # its stack files (declared_config): None reads this checkout's

    @property
    def label(self) -> str:
        return f"{self.env}:{self.source}"

    @property
    def declared(self) -> Mapping[str, Any]:
        return declared_config(self.env) if self.config is None else self.config


def declared_config(env: str) -> dict[str, Any]:
    """Every layer's stack file of one environment (the platform block is the same in all)."""
    merged: dict[str, Any] = {}
    for layer in DEPLOY_ORDER:
        merged |= read_layer_config(layer, env)
    return merged


def differing_keys(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(left) | set(right) if left.get(k) != right.get(k) and k not in IDENTITY_KEYS)


class Normalizer:
    """Rewrites one environment's resources so that only meaningful differences remain."""

    def __init__(self, snapshot: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        identity = {str(config[k]): f"<{k.split(':')[1]}>" for k in IDENTITY_KEYS}
        # Longest first, so that `us-east-2` is replaced before `dev` could match inside it.
        self._identity = sorted(identity.items(), key=lambda kv: -len(kv[0]))
        self._computed: dict[str, str] = {}
        for layer in snapshot["layers"]:
            for resource in layer["resources"]:
                self._collect(self.key(resource["urn"]), resource)
        self._computed_by_length = sorted(self._computed.items(), key=lambda kv: -len(kv[0]))

    def key(self, urn: str) -> str:
        """`<project>::<type chain>::<name>`: the URN without its stack, identity replaced."""
        return self.text(urn.split("::", 1)[1])

    def _collect(self, key: str, resource: Mapping[str, Any]) -> None:
        if not resource["type"].startswith(COMPUTING_PACKAGES):
            return  # stacks, stack references and providers only pass values on
        inputs = json.dumps(resource.get("inputs") or {})
        if isinstance(resource.get("id"), str) and resource["id"]:
            self._computed.setdefault(resource["id"], f"<{_short_key(key)}.id>")
        for path, value in _leaves(resource.get("outputs") or {}):
            if isinstance(value, str) and COMPUTED.match(value) and json.dumps(value) not in inputs:
                self._computed.setdefault(value, f"<{_short_key(key)}.{path}>")
                if embedded := ARN_RESOURCE_ID.match(value):
                    self._computed.setdefault(embedded.group(1), f"<{_short_key(key)}.{path}:id>")

    def text(self, value: str) -> str:
        # Linux device paths (`/dev/xvda` in launch templates) are not the dev environment's name.
        value = value.replace(_DEVICE_DIR, _DEVICE_DIR_MARK)
        for raw, placeholder in self._identity:
            value = value.replace(raw, placeholder)
        return value.replace(_DEVICE_DIR_MARK, _DEVICE_DIR)

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            if value in self._computed:
                return self._computed[value]
            for raw, placeholder in self._computed_by_length:
                if raw in value:
                    value = value.replace(raw, placeholder)
            return self.text(value)
        return value

    def resources(self, snapshot: Mapping[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
        """key -> (layer, resource type, {input: value, ..., "<option>": value}); the type is kept apart
        from the inputs, since some resources have a `type` input of their own (Route 53 records)."""
        normalized = {}
        for layer in snapshot["layers"]:
            for resource in layer["resources"]:
                inputs = self.value(resource.get("inputs") or {})
                inputs |= {f"<{option}>": resource.get(option) for option in OPTIONS}
                normalized[self.key(resource["urn"])] = (layer["name"], resource["type"], inputs)
        return normalized


def _short_key(key: str) -> str:
    """Computed-value placeholders name the resource as type chain and name (no project)."""
    return key.split("::", 1)[1]


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


_NONE = Variation()


def _explained_property(resource_type: str, prop: str, keys: list[str]) -> tuple[str, ...]:
    target = f"{resource_type}.{prop}"
    return tuple(k for k in keys if any(fnmatch(target, p) for p in VARIATIONS.get(k, _NONE).properties))


def _explained_count(resource_type: str, key: str, keys: list[str]) -> tuple[str, ...]:
    short = _short_key(key)
    return tuple(
        k for k in keys if any(fnmatch(resource_type, p) or fnmatch(short, p) for p in VARIATIONS.get(k, _NONE).counts)
    )


def _explained_protect(keys: list[str]) -> tuple[str, ...]:
    return tuple(k for k in keys if VARIATIONS.get(k, _NONE).protect)


def _kind(left: Mapping[str, Any], right: Mapping[str, Any], prop: str) -> Kind:
    if prop not in left:
        return "add"
    return "delete" if prop not in right else "update"


def compare(left: Side, right: Side, tally: Tally | None = None) -> list[Item]:
    """Every difference between two environments, each with the stack-config keys that declare it."""
    left_config, right_config = left.declared, right.declared
    keys = differing_keys(left_config, right_config)
    left_resources = Normalizer(left.snapshot, left_config).resources(left.snapshot)
    right_resources = Normalizer(right.snapshot, right_config).resources(right.snapshot)
    items = []
    for key in sorted(set(left_resources) | set(right_resources)):
        layer, left_type, left_inputs = left_resources.get(key, ("", "", {}))
        right_layer, right_type, right_inputs = right_resources.get(key, ("", "", {}))
        base: dict[str, Any] = {
            "comparison": "env_env",
            "layer": layer or right_layer,
            "left": left.label,
            "right": right.label,
            "resource": key,
            "type": left_type or right_type,
        }
        if tally is not None:
            tally.resources(base["layer"], "env_env", [key])
        if not left_inputs or not right_inputs:
            declared = _explained_count(base["type"], key, keys)
            kind: Kind = "add" if right_inputs else "delete"
            items.append(
                Item(
                    **base,
                    path=None,
                    left_value=bool(left_inputs),
                    right_value=bool(right_inputs),
                    kind=kind,
                    declared_by=declared,
                )
            )
            continue
        for prop in sorted(set(left_inputs) | set(right_inputs)):
            a, b = left_inputs.get(prop), right_inputs.get(prop)
            if a == b:
                continue
            option = prop.strip("<>") if prop.startswith("<") else None
            explained = (
                (_explained_protect(keys) if option == "protect" else ())
                if option
                else _explained_property(base["type"], prop, keys)
            )
            kind = _kind(left_inputs, right_inputs, prop)
            items.append(
                Item(**base, path=option or prop, left_value=a, right_value=b, kind=kind, declared_by=explained)
            )
    return items


def environment_report(
    command: Literal["compare", "parity"],
    left: Side,
    right: Side,
    redactor: Redactor | None = None,
    backend: str | None = None,
) -> Report:
    """`compare` as a report: what `make parity` and `make compare` print and write."""
    tally = Tally()
    items = compare(left, right, tally)
    source: Source = left.source if left.source == right.source else "deployed"
    return build_report(
        command=command,
        environments=(left.env, right.env),
        source=source,
        layers=DEPLOY_ORDER,
        items=items,
        tally=tally,
        redactor=redactor or Redactor(),
        backend=backend,
    )

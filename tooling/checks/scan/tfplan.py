"""One environment's offline plan as Terraform-plan JSON, the input checkov's `terraform_plan` framework scans.

pulumi-aws is bridged from the Terraform AWS provider, so each planned AWS resource has a Terraform twin:
- its type comes from `tftypes` (the bridge's naming rule, verified against a list; unmapped types fail);
- its values are the plan's inputs over its outputs, each key renamed to its Terraform attribute: the
  Python SDK's own name (`pulumi._types.resource_pulumi_to_py_names` and, for nested objects, the output
  classes' name tables) where the bridge kept Terraform's, the name `terraform_names.py` lists where it
  did not (every list of blocks, and the bridge's renames by hand); a list of blocks missing there fails
  the conversion. An object (a Terraform block with at most one item, which the bridge flattens) becomes
  a one-item list again;
- a value that is another planned resource's id, ARN or name (a bucket name in a public-access block, a
  KMS key ARN in an encryption rule, a security group id in a rule, across layers too) becomes a
  reference to that resource's address in `configuration`, so checkov's graph checks see the connection.
Non-AWS resources (providers, stack references, components, `random`) have no Terraform AWS twin: they
are counted in `Conversion.not_converted`, never dropped silently.
"""

import collections.abc as cabc
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pulumi import _types as pulumi_types

from tooling.checks.scan.terraform_names import UnlistedBlockList, nested_token, terraform_name
from tooling.checks.scan.tftypes import UnmappedType, snake, terraform_type
from tooling.checks.types.sdk import sdk_class
from tooling.plan.mock_runtime import UNKNOWN_PLACEHOLDER

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.8"
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

# Outputs that identify a resource when another resource's input holds them, strongest first: a value
# that is the id, ARN or URL of exactly one resource refers to it; only otherwise may a name decide
# (an S3 bucket's sub-resources all repeat its name in `bucket`, its id).
IDENTIFYING_OUTPUTS = (("arn", "url", "dnsName"), ("name", "bucket", "stageName"))
WILDCARD_SUFFIXES = (":*", "/*")


class ConversionError(ValueError):
    """A planned AWS resource the converter cannot express in Terraform terms."""


@dataclass
class Conversion:
    environment: str
    plan: dict[str, Any]
    addresses: dict[str, str]  # Pulumi URN -> Terraform address
    not_converted: dict[str, int] = field(default_factory=dict)  # Pulumi type -> count


def _unwrap(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", typing.Union)):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        objects = [a for a in members if isinstance(a, type) and pulumi_types.is_output_type(a)]
        return _unwrap(objects[0] if objects else members[0]) if members else Any
    return annotation


def _is_object(annotation: Any) -> bool:
    return isinstance(annotation, type) and pulumi_types.is_output_type(annotation)


@cache
def _object_names(cls: type) -> tuple[dict[str, str], dict[str, Any]]:
    return pulumi_types._pulumi_to_py_names_from_py_properties(cls), pulumi_types.output_type_types(cls)


@cache
def _resource_names(token: str) -> tuple[dict[str, str], dict[str, Any]]:
    cls = sdk_class(token)
    if cls is None:
        raise ConversionError(f"{token}: no installed SDK class declares it")
    return pulumi_types.resource_pulumi_to_py_names(cls), pulumi_types.resource_types(cls)


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_block_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) not in (cabc.Sequence, list):
        return False
    return _is_object(_unwrap(typing.get_args(annotation)[0]))


def _convert(value: Any, annotation: Any, where: str) -> Any:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin in (cabc.Sequence, list) and isinstance(value, list):
        item = typing.get_args(annotation)[0]
        return [_convert(v, item, where) for v in value]
    if origin in (cabc.Mapping, dict) and isinstance(value, dict):
        return {k: _convert(v, typing.get_args(annotation)[-1], where) for k, v in value.items()}
    if _is_object(annotation) and isinstance(value, dict):
        names, types = _object_names(annotation)
        return _object(value, names, types, where, nested_token(annotation))
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    return _scalar(value)


def _object(
    values: Mapping[str, Any], names: Mapping[str, str], types: Mapping[str, Any], where: str, token: str
) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if value == UNKNOWN_PLACEHOLDER or value is None:
            continue
        if key not in names:
            raise ConversionError(f"{where}: property {key!r} is not in the SDK's name table")
        annotation = _unwrap(types.get(key, Any))
        tf_value = _convert(value, annotation, f"{where}.{key}")
        if _is_object(annotation) and isinstance(tf_value, dict):
            tf_value = [tf_value]  # a block of at most one item, flattened by the bridge
        try:
            name = terraform_name(token, key, names[key], block_list=_is_block_list(annotation))
        except UnlistedBlockList as exc:
            raise ConversionError(f"{where}: {exc}") from exc
        converted[name] = tf_value
    return converted


def terraform_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """A planned resource's inputs over its known outputs, in Terraform's names and shapes."""
    names, types = _resource_names(record["type"])
    outputs = {k: v for k, v in record["outputs"].items() if k in names and k not in record["inputs"]}
    return _object({**outputs, **record["inputs"]}, names, types, record["urn"], record["type"])


def _identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return name if re.match(r"[A-Za-z_]", name) else f"r_{name}"


def _logical_name(urn: str) -> str:
    return urn.rsplit("::", maxsplit=1)[-1]


class _References:
    """Which planned resource an input value identifies: its id, ARN or name."""

    def __init__(self) -> None:
        self._by_value: dict[str, set[tuple[int, str, str]]] = {}
        self._own: dict[str, set[str]] = {}  # address -> the values that identify it

    def add(self, address: str, record: Mapping[str, Any]) -> None:
        strong, weak = IDENTIFYING_OUTPUTS
        for tier, attributes in ((0, ("id", *strong)), (1, weak)):
            for attribute in attributes:
                value = record.get("id") if attribute == "id" else record["outputs"].get(attribute)
                if isinstance(value, str) and value and value != UNKNOWN_PLACEHOLDER:
                    self._by_value.setdefault(value, set()).add((tier, address, attribute))
                    if tier == 0 or attribute == "name":  # `bucket`, `stageName` of a sub-resource name its parent
                        self._own.setdefault(address, set()).add(value)

    def of(self, value: Any, own_address: str) -> list[str] | None:
        if not isinstance(value, str) or value in self._own.get(own_address, ()):
            return None  # not an identifier, or the resource's own (a proxy's name is its target group's id)
        # An ARN with a wildcard appended names the resource too (`"${aws_cloudwatch_log_group.x.arn}:*"`).
        identifier = next((value.removesuffix(s) for s in WILDCARD_SUFFIXES if value.endswith(s)), value)
        targets = {t for t in self._by_value.get(identifier, set()) if t[1] != own_address}
        for tier in (0, 1):
            resources = {address for t, address, _ in targets if t == tier}
            if len(resources) == 1:
                address = resources.pop()
                attribute = min(attr for t, a, attr in targets if t == tier and a == address)
                return [f"{address}.{snake(attribute)}", address]
            if len(resources) > 1:
                return None  # ambiguous: a constant
        return None

    def expressions(self, values: Any, own_address: str) -> Any:
        """Terraform's `expressions` for converted values: references where a value names a resource."""
        if isinstance(values, dict):
            found = {}
            for key, value in values.items():
                if key in ("tags", "tags_all"):
                    continue  # free-form labels, never references
                expression = self.expressions(value, own_address)
                if expression:
                    found[key] = expression
            return found
        if isinstance(values, list):
            if values and all(isinstance(v, dict) for v in values):  # blocks
                blocks = [self.expressions(v, own_address) for v in values]
                return blocks if any(blocks) else None
            in_list = [r for v in values for r in (self.of(v, own_address) or [])]
            return {"references": in_list} if in_list else None
        references = self.of(values, own_address)
        return {"references": references} if references else None


def convert(environment: str, plan: Mapping[str, Any]) -> Conversion:
    """The environment's four layers as one Terraform plan (one root module, every AWS resource)."""
    conversion = Conversion(environment, {}, {})
    records: list[tuple[str, str, Mapping[str, Any]]] = []
    taken: set[str] = set()
    problems: list[str] = []
    for layer in plan["layers"]:
        for record in layer["resources"]:
            token = record["type"]
            if not record["custom"] or not token.startswith("aws:"):
                kind = "component resources" if not record["custom"] and not token.startswith("pulumi:") else token
                conversion.not_converted[kind] = conversion.not_converted.get(kind, 0) + 1
                continue
            try:
                tf_type = terraform_type(token).tf_type
            except UnmappedType as exc:
                problems.append(str(exc))
                continue
            name = _identifier(_logical_name(record["urn"]))
            if f"{tf_type}.{name}" in taken:
                name = f"{name}_{layer['name']}"
            address = f"{tf_type}.{name}"
            taken.add(address)
            conversion.addresses[record["urn"]] = address
            records.append((address, tf_type, record))
    if problems:
        raise ConversionError("unmapped resource types:\n  " + "\n  ".join(sorted(set(problems))))
    references = _References()
    for address, _, record in records:
        references.add(address, record)
    planned, changes, configured = [], [], []
    for address, tf_type, record in records:
        name = address.split(".", 1)[1]
        values = terraform_values(record)
        planned.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": PROVIDER_NAME,
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            }
        )
        changes.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": PROVIDER_NAME,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": {},
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        configured.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "schema_version": 0,
                "expressions": references.expressions(values, address) or {},
            }
        )
    conversion.plan = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER_NAME}},
            "root_module": {"resources": configured},
        },
    }
    return conversion

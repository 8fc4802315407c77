"""The few building blocks every policy module shares: reading props safely, and the two policy shapes.

At `pulumi preview` the engine hands policies proxies that raise `UnknownValueError` for values
decided later (an id, an ARN); a policy skips those, and `pulumi up` runs it again once they are
known. Props are camelCase `Mapping`s and `Sequence`s (proxies, not dicts or lists).
"""

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# A check returns what is wrong with one resource, and how to fix it, or None when it complies.
Check = Callable[[ResourceValidationArgs], str | None]
ANYWHERE = ("0.0.0.0/0", "::/0")


def for_types(types: tuple[str, ...], check: Check) -> dict[str, Check]:
    """The same check for several resource types (an RDS instance and an Aurora cluster, ...)."""
    return dict.fromkeys(types, check)


def value(props: Mapping[str, Any], *path: str) -> Any:
    """The value at `path`, or None when any step is absent (raises UnknownValueError when unknown)."""
    current: Any = props
    for key in path:
        if not isinstance(current, Mapping) or key not in _keys(current):
            return None
        current = current[key]
    return current


def known(props: Mapping[str, Any], *path: str) -> Any:
    """Like `value`, but None for a value that is unknown until deploy."""
    try:
        return value(props, *path)
    except UnknownValueError:
        return None


def _keys(mapping: Mapping[str, Any]) -> set[str]:
    # Iterating a proxy reads no values, so an unknown value elsewhere never raises here.
    return set(iter(mapping))


def items(sequence: Any) -> list[Any]:
    """A property that may be one item or a list of them, as a list (absent: empty)."""
    if sequence is None:
        return []
    if isinstance(sequence, Sequence) and not isinstance(sequence, str):
        return list(sequence)
    return [sequence]


def is_set(props: Mapping[str, Any], *path: str) -> bool:
    return value(props, *path) not in (None, "")


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of an IAM policy document given as JSON text or as a mapping."""
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, Mapping):
        return []
    return [s for s in items(value(document, "Statement")) if isinstance(s, Mapping)]


def principals(statement: Mapping[str, Any]) -> set[str]:
    """Every principal a statement names, flattened: "*" for anyone, ARNs, account ids, services."""
    principal = value(statement, "Principal")
    if isinstance(principal, Mapping):
        return {str(p) for kind in principal for p in items(principal[kind])}
    return {str(p) for p in items(principal)}


def resource_policy(
    name: str, description: str, checks: Mapping[str, Check] | Callable[[str], Check | None]
) -> ResourceValidationPolicy:
    """A policy that runs the check of each resource's type (`checks[type]`, or `checks(type)` for
    open-ended sets such as "every taggable type") and reports what it returns."""
    check_of = checks.get if isinstance(checks, Mapping) else checks

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        check = check_of(args.resource_type)
        if check is None:
            return
        try:
            problem = check(args)
        except UnknownValueError:
            return  # preview: decided at deploy time, and checked again by `pulumi up`
        if problem:
            report_violation(problem, args.urn)

    return ResourceValidationPolicy(name=name, description=description, validate=validate)


StackCheck = Callable[[StackValidationArgs], Iterator[tuple[str, str]]]


def stack_policy(name: str, description: str, check: StackCheck) -> StackValidationPolicy:
    """A policy over the whole stack; `check` yields (urn, message) pairs."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in check(args):
            report_violation(message, urn)

    return StackValidationPolicy(name=name, description=description, validate=validate)


def of_type(args: StackValidationArgs, resource_type: str) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type == resource_type]


def refers_to(resource: PolicyResource, prop: str, target: PolicyResource, target_keys: tuple[str, ...]) -> bool:
    """Whether `resource.props[prop]` names `target`: by the engine's property dependencies, by value
    (`target_keys` of the target, e.g. its id), or, while the value is still unknown, by any dependency."""
    if any(d.urn == target.urn for d in resource.property_dependencies.get(prop, [])):
        return True
    try:
        reference = value(resource.props, prop)
    except UnknownValueError:
        return any(d.urn == target.urn for d in resource.dependencies)
    return reference is not None and reference in {known(target.props, key) for key in target_keys}


@dataclass(frozen=True)
class Companion:
    """Every `subject_type` resource that `applies` needs a `companion_type` resource whose `link`
    property names it (one of the subject's `subject_keys`), e.g. every VPC needs a flow log."""

    subject_type: str
    companion_type: str
    link: str
    subject_keys: tuple[str, ...]
    applies: Callable[[PolicyResource], bool] = lambda _: True
    fix: str = ""


def companion_policy(name: str, description: str, companion: Companion) -> StackValidationPolicy:
    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        companions = of_type(args, companion.companion_type)
        for subject in of_type(args, companion.subject_type):
            if not companion.applies(subject):
                continue
            if not any(refers_to(c, companion.link, subject, companion.subject_keys) for c in companions):
                kind = companion.companion_type.split(":")[-1]
                yield subject.urn, f"{subject.name} has no {kind}: {companion.fix}"

    return stack_policy(name, description, check)

"""Every input of every custom resource in a plan, checked against its SDK's declared types."""

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from rich.console import Console

from tooling.checks.types.sdk import PROVIDER_PREFIX, arguments
from tooling.checks.types.shapes import Block
from tooling.checks.types.validate import Problem, object_problems, problems
from tooling.plan.counts import count, is_resource


@dataclass(frozen=True)
class Finding:
    environment: str
    layer: str
    resource: str
    type: str
    problem: Problem

    def __str__(self) -> str:
        return f"{self.environment} / {self.layer} / {self.resource} {self.type}: {self.problem}"


def _custom_resources(plan: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Layer by layer in deploy order, resources by URN: the runtime registers them in no fixed order."""
    for layer in plan["layers"]:
        for record in sorted(layer["resources"], key=lambda r: str(r["urn"])):
            if record["custom"]:
                yield layer["name"], record


def engine_inputs(token: str, inputs: Mapping[str, Any], block: Block) -> dict[str, Any]:
    """A provider's inputs reach the engine JSON-encoded (the SDK's `pulumi.runtime.to_json`) unless
    they are strings: what they encode is what is checked. Other resources' inputs are as planned."""
    if not token.startswith(PROVIDER_PREFIX):
        return dict(inputs)
    decoded = dict(inputs)
    for key, value in inputs.items():
        field = block.fields.get(key)
        if field is not None and isinstance(value, str) and problems(value, field.shape):
            with contextlib.suppress(ValueError):  # not JSON: reported as the string it is
                decoded[key] = json.loads(value)
    return decoded


def resource_problems(token: str, inputs: Mapping[str, Any]) -> list[Problem] | None:
    """What is wrong with one resource's inputs; None when no installed SDK declares its type."""
    block = arguments(token)
    if block is None:
        return None
    return object_problems(engine_inputs(token, inputs, block), block)


def check_plan(plan: Mapping[str, Any]) -> list[Finding]:
    env = plan["environment"]
    return [
        Finding(env, layer, record["urn"].rsplit("::", 1)[-1], record["type"], problem)
        for layer, record in _custom_resources(plan)
        for problem in resource_problems(record["type"], record["inputs"]) or []
    ]


def unchecked_types(plan: Mapping[str, Any]) -> list[str]:
    """Custom resource types no installed SDK declares (e.g. `pulumi:pulumi:StackReference`)."""
    return sorted({r["type"] for _, r in _custom_resources(plan) if arguments(r["type"]) is None})


def _sdk_versions(plan: Mapping[str, Any]) -> str:
    packages = {r["type"].removeprefix(PROVIDER_PREFIX).split(":")[0] for _, r in _custom_resources(plan)}
    versions = []
    for package in sorted(packages - {"pulumi"}):
        try:
            versions.append(f"pulumi-{package} {metadata.version(f'pulumi-{package}')}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(versions)


def report(env: str, plan: Mapping[str, Any], console: Console, found: list[Finding] | None = None) -> int:
    """Print every finding of one environment's plan (`found`, when already checked), then its notes; 1 if
    there is any finding."""
    found = check_plan(plan) if found is None else found
    findings = [f for f in found if f.problem.blocking]
    for finding in findings:
        console.print(str(finding), markup=False, highlight=False, soft_wrap=True)
    for note in (f for f in found if not f.problem.blocking):
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    typed = [r for _, r in _custom_resources(plan) if arguments(r["type"]) is not None]
    planned = count(plan)
    resources = sum(1 for r in typed if is_resource(r))
    providers = sum(1 for r in typed if r["type"].startswith(PROVIDER_PREFIX))
    against = (
        f"{resources} of {planned.resources} resources and {providers} of {planned.providers} providers checked "
        f"against the types of {_sdk_versions(plan)}"
    )
    unchecked = unchecked_types(plan)
    skipped = f" (no SDK types for {', '.join(unchecked)})" if unchecked else ""
    if findings:
        console.print(f"[red]{env}: {len(findings)} type finding(s)[/red]; {against}{skipped}", soft_wrap=True)
    else:
        console.print(f"[green]{env}: no type findings[/green]; {against}{skipped}", soft_wrap=True)
    return int(bool(findings))

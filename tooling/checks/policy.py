"""`make policy [ENV=]`: run the CrossGuard pack (policy/) over the offline plans.

Each custom resource of the plan is validated as the engine would at `pulumi preview`: resource
policies get its inputs, stack policies every resource with its outputs. Values unknown until deploy
become the engine's unknown markers, so policies skip them here as they do in a real preview.
Prints the violations and exits 1 if any is mandatory.
"""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy
from rich.console import Console
from rich.table import Table

from policy import ALL_POLICIES, ENFORCEMENT_LEVEL
from policy.teardown import PlannedResourceOptions
from tooling.checks.cli import environments_parser, run_per_environment
from tooling.plan.counts import count
from tooling.plan.mock_runtime import UNKNOWN_PLACEHOLDER


@dataclass(frozen=True)
class Violation:
    policy: str
    urn: str
    message: str
    enforcement_level: EnforcementLevel


def _engine_values(value: Any) -> Any:
    """The plan's "[unknown]" placeholders as the markers the engine passes to policies."""
    if isinstance(value, dict):
        return {k: _engine_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_values(v) for v in value]
    return UNKNOWN_STRING_VALUE if value == UNKNOWN_PLACEHOLDER else value


def _props(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return unknown_checking_proxy(_engine_values(dict(values)))


def _name(urn: str) -> str:
    return urn.rsplit("::", maxsplit=1)[-1]


def _options(record: Mapping[str, Any]) -> PlannedResourceOptions:
    return PlannedResourceOptions(
        protect=record["protect"],
        ignore_changes=list(record["ignoreChanges"]),
        retain_on_delete=record.get("retainOnDelete", False),
        parent=record["parent"],
    )


def _custom(layer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in layer["resources"] if r["custom"]]


def resource_args(record: Mapping[str, Any]) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        record["type"], _props(record["inputs"]), record["urn"], _name(record["urn"]), _options(record), None
    )


def stack_args(records: Sequence[Mapping[str, Any]]) -> StackValidationArgs:
    """One layer's resources as the engine passes them to stack policies: outputs (which, like the
    providers' state, include the id), with parents and dependencies resolved to resources."""
    resources = {
        r["urn"]: PolicyResource(
            r["type"],
            _props({"id": r["id"], **r["outputs"]}),
            r["urn"],
            _name(r["urn"]),
            _options(r),
            None,
            None,
            [],
            {},
        )
        for r in records
    }
    for record in records:
        resource = resources[record["urn"]]
        resource.parent = resources.get(record["parent"] or "")
        resource.dependencies = [resources[d] for d in record["dependencies"] if d in resources]
    return StackValidationArgs(list(resources.values()))


def _level(policy: Policy) -> EnforcementLevel:
    return policy.enforcement_level or ENFORCEMENT_LEVEL


def check_plan(plan: Mapping[str, Any], policies: tuple[Policy, ...] = ALL_POLICIES) -> list[Violation]:
    """Every violation of `policies` in one environment's plan, layer by layer (each layer is a stack)."""
    return [
        violation
        for layer in plan["layers"]
        for policy in policies
        for violation in run_policy(policy, _custom(layer), layer["stack"])
    ]


def run_policy(policy: Policy, records: Sequence[Mapping[str, Any]], stack: str) -> list[Violation]:
    """One policy over one stack's resource records (the plan's shape)."""
    found: list[Violation] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(Violation(policy.name, urn or stack, message, _level(policy)))

    if isinstance(policy, ResourceValidationPolicy):
        for record in records:
            policy.validate(resource_args(record), report)
    elif isinstance(policy, StackValidationPolicy):
        policy.validate(stack_args(records), report)
    return found


def _table(env: str, violations: list[Violation]) -> Table:
    table = Table(title=f"{env}: {len(violations)} policy violation(s)", title_justify="left")
    for column in ("policy", "level", "layer", "resource", "message"):
        table.add_column(column, overflow="fold")
    for v in violations:
        layer = v.urn.split("::")[1] if v.urn.startswith("urn:") else v.urn  # stack-wide: the stack's name
        table.add_row(v.policy, v.enforcement_level.value, layer, _name(v.urn), v.message)
    return table


def looked_at(plan: Mapping[str, Any]) -> str:
    """What the pack validated: every custom resource of every layer, as a preview passes them."""
    planned = count(plan)
    return (
        f"checked {planned.resources_text()}, {planned.providers} providers and {planned.stack_references} stack "
        f"references in {len(plan['layers'])} stacks"
    )


def report(env: str, plan: Mapping[str, Any], console: Console, violations: list[Violation] | None = None) -> int:
    """Print one environment's violations (`violations`, when already checked); 1 if any of them is mandatory."""
    violations = check_plan(plan) if violations is None else violations
    if violations:
        console.print(_table(env, violations))
        console.print(f"{env}: {len(ALL_POLICIES)} policies {looked_at(plan)}")
    else:
        console.print(f"[green]{env}: {len(ALL_POLICIES)} policies, no violations[/green] ({looked_at(plan)})")
    return int(any(v.enforcement_level == EnforcementLevel.MANDATORY for v in violations))


def main(argv: Sequence[str]) -> int:
    parser = environments_parser("make policy", __doc__ or "")
    return run_per_environment(parser.parse_args(argv).environments, report)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

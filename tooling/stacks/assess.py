"""Reading deployed environments: what is deployed, what the code would deploy, what broadens, and drift.

Through the Automation API (tooling/stacks/automation.py), per layer in deploy order: the stack
export (deployed, secrets redacted) and a preview's steps (the new state of every resource the code
declares). Both become snapshots in the comparator's shape; the preview's is digested per layer
(the comparator's normalized form, `tooling.checks.broadening.layer_digests`) into the plan digest
`make preview` prints and `CONFIRM=` names, and compared with the deployed one for permission
broadening.

A layer whose preview fails (its lower layers are not deployed yet, on a first deploy) is skipped
with a note; `complete` says whether every layer was previewed. With `plan_dir`, each preview also
saves the update plan (`pulumi preview --save-plan`) that the guard's `pulumi up --plan` applies: the
plan comes from the very preview the digest is computed from.

`deployed` (one environment's stacks as exported, for `make compare` and the gate's parity) and
`detect` (`make drift`, and the gate's drift condition) read deployed stacks the same way.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.automation.events import OpType, StepEventMetadata

from shared.contracts import DEPLOY_ORDER
from tooling.checks.broadening import BroadeningReport, Snapshot, compare_snapshots, layer_digests, plan_digest
from tooling.checks.compare import Side, declared_config
from tooling.checks.redact import Redactor
from tooling.checks.report import Item, Report, Tally, build_report
from tooling.stacks.automation import Stacks
from tooling.stacks.cli import for_each_layer
from tooling.stacks.events import StepReader
from tooling.stacks.preflight import check_backend_exists, resolve_target
from tooling.stacks.types import LayerFailure, Refusal, Stack, Target

GONE = {OpType.DELETE, OpType.DELETE_REPLACED, OpType.DISCARD, OpType.DISCARD_REPLACED}


@dataclass
class Assessment:
    env: str
    deployed: list[dict[str, Any]] = field(default_factory=list)  # [{"name", "resources"}] per layer
    preview: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # layer -> why its preview failed
    plans: dict[str, Path] = field(default_factory=dict)  # layer -> the update plan its preview saved

    @property
    def complete(self) -> bool:
        return not self.skipped

    def digests(self) -> dict[str, str]:
        return layer_digests({"layers": self.preview}, declared_config(self.env))

    @property
    def plan_digest(self) -> str:
        return plan_digest(self.digests())

    def broadening(self) -> BroadeningReport:
        before = Snapshot(self.env, f"{self.env}:deployed", self.deployed)
        after = Snapshot(self.env, f"{self.env}:preview", self.preview)
        return compare_snapshots(before, after, plan_digest=self.plan_digest)


def preview_resources(steps: Sequence[StepEventMetadata], exported: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each resource the preview keeps or creates, export-shaped: the step's new inputs, the deployed
    outputs and options where the resource exists (a preview carries no ignoreChanges)."""
    resources = []
    for step in steps:
        state = step.new or step.old
        if step.op in GONE or state is None:
            continue
        before = exported.get(state.urn, {})
        resources.append(
            {
                **before,
                "urn": state.urn,
                "type": state.type,
                "id": state.id or before.get("id"),
                "custom": bool(state.custom if state.custom is not None else before.get("custom", True)),
                "inputs": dict(state.inputs or {}),
                "outputs": dict(state.outputs or before.get("outputs") or {}),
                "protect": bool(state.protect if state.protect is not None else before.get("protect")),
                "ignoreChanges": before.get("ignoreChanges") or [],
                "retainOnDelete": bool(before.get("retainOnDelete")),
            }
        )
    return resources


def assess_stacks(
    target: Target,
    stacks: Sequence[Stack],
    redactor: Redactor | None = None,
    *,
    plan_dir: Path | None = None,
    policy_packs: Sequence[str] = (),
) -> Assessment:
    """Every stack's export and preview; with `plan_dir`, each preview saves its update plan there."""
    opened_stacks = Stacks(target)
    redactor = redactor or Redactor()
    assessment = Assessment(target.env)
    for stack in stacks:
        print(f"==> assess {stack.layer} ({stack.name}): export and preview", flush=True)
        try:
            opened = opened_stacks.open(stack)
            redactor.add(opened.secret_config())
            exported = opened.export(redactor).by_urn()
        except (Refusal, LayerFailure):
            exported = {}
            opened = None
        assessment.deployed.append({"name": stack.layer, "resources": list(exported.values())})
        try:
            if opened is None:
                raise LayerFailure("the stack does not exist yet")
            plan = plan_dir / f"{stack.layer}.plan.json" if plan_dir else None
            steps = opened.preview_steps(plan, policy_packs)
            if plan is not None:
                assessment.plans[stack.layer] = plan
        except LayerFailure as exc:
            assessment.skipped[stack.layer] = str(exc)
            print(f"note: {stack.layer} could not be previewed ({exc}); left out of the digest and report", flush=True)
            continue
        assessment.preview.append({"name": stack.layer, "resources": preview_resources(steps, exported)})
    return assessment


def deployed(env: str, redactor: Redactor) -> tuple[Side, str]:
    """One environment's four stacks as exported, grouped by layer like an offline plan."""
    target = resolve_target("compare", env, os.environ, Path.home(), aws=False)
    check_backend_exists(target.backend, env)
    stacks = Stacks(target)
    layers: list[dict[str, Any]] = []

    def layer(stack: Stack) -> None:
        opened = stacks.open(stack)
        redactor.add(opened.secret_config())
        layers.append({"name": stack.layer, "resources": opened.export(redactor).resources})

    for_each_layer(target.stacks, layer, f"compare (export {env})")
    return Side(env, "deployed", {"layers": layers}), target.backend.url


def detect(env: str) -> Report:
    """Drift of every layer: code vs state (`pulumi preview`) and state vs cloud (`refresh --preview-only`)."""
    target = resolve_target("drift", env, os.environ, Path.home(), aws=True)
    check_backend_exists(target.backend, env)
    print(target.backend.describe(), flush=True)
    stacks = Stacks(target)
    redactor, tally, items = Redactor(), Tally(), list[Item]()

    def layer(stack: Stack) -> None:
        opened = stacks.open(stack)
        redactor.add(opened.secret_config())
        state = opened.export(redactor).by_urn()
        code = StepReader("code_state", stack.layer, env, state=state, redactor=redactor, tally=tally)
        items.extend(code.items(opened.preview_steps()))
        cloud = StepReader("state_cloud", stack.layer, env, state=state, redactor=redactor, tally=tally)
        items.extend(cloud.items(opened.refresh_steps()))

    for_each_layer(target.stacks, layer, "drift")
    return build_report(
        command="drift",
        environments=(env,),
        source="deployed",
        layers=DEPLOY_ORDER,
        items=items,
        tally=tally,
        redactor=redactor,
        backend=target.backend.url,
    )

"""Promotion around a change of stacks: which environment this one is promoted from, the broadening
table and plan digest every assessment prints, and the record a successful deploy leaves.

- `promotion_source`: `platform:promotedFrom` of the stacks' files (None: not gated);
- `show`: the assessment's broadening (deployed vs preview) and its plan digest, the one `CONFIRM=` names;
- `build`: the promotion record (tooling/checks/record.py) of an environment just deployed, from the
  assessment that cleared it and every layer's outputs; the guard writes it to the record stack.
"""

from collections.abc import Sequence
from typing import Any

from rich.console import Console

from shared.contracts import DEPLOY_ORDER
from shared.promotion import PromotionRecord
from tooling.checks import broadening
from tooling.checks.record import build_record
from tooling.checks.redact import Redactor
from tooling.stacks.assess import Assessment
from tooling.stacks.automation import Stacks
from tooling.stacks.cli import PulumiCli
from tooling.stacks.types import LayerFailure, Refusal, Stack, Target


def promotion_source(stacks: Sequence[Stack]) -> str | None:
    """The environment the stacks' files declare as `platform:promotedFrom`, for the platform's layers
    (accounts/ bootstraps an account and is promoted from nowhere)."""
    if any(stack.layer not in DEPLOY_ORDER for stack in stacks):
        return None
    source = str(stacks[0].config.get("platform:promotedFrom", "none"))
    return None if source == "none" else source


def check_promote_from(env: str, stacks: Sequence[Stack], promote_from: str) -> None:
    """`make promote FROM=<env> TO=<env>` must name the source the stack files declare."""
    if not promote_from:
        return
    declared = promotion_source(stacks)
    if promote_from != declared:
        raise Refusal(
            f"{env} is promoted from {declared or 'nowhere'} (platform:promotedFrom in its stack files), "
            f"not from {promote_from}: make promote FROM={declared} TO={env} CONFIRM=prod"
            if declared
            else f"{env} declares no platform:promotedFrom: deploy it with make deploy ENV={env}"
        )


def digest_label(assessment: Assessment) -> str:
    """`prod`, or `prod (application)` when the assessment covers some layers only (a release)."""
    layers = [layer["name"] for layer in assessment.preview] + list(assessment.skipped)
    return assessment.env if set(DEPLOY_ORDER) <= set(layers) else f"{assessment.env} ({', '.join(layers)})"


def show(assessment: Assessment, out: Console) -> broadening.BroadeningReport:
    report = assessment.broadening()
    broadening.render(report, out)
    partial = f" (without {', '.join(assessment.skipped)}: not previewed)" if assessment.skipped else ""
    out.print(f"plan digest {digest_label(assessment)}: {assessment.plan_digest}{partial}")
    return report


def _layer_outputs(cli: PulumiCli, stacks: Sequence[Stack]) -> dict[str, dict[str, Any]]:
    outputs: dict[str, dict[str, Any]] = {}
    for stack in stacks:
        try:
            outputs[stack.layer] = cli.read_json(stack, "stack", "output", "--json") or {}
        except LayerFailure:
            outputs[stack.layer] = {}
    return outputs


def build(
    target: Target,
    cli: PulumiCli,
    assessment: Assessment,
    *,
    commit: str,
    clean: bool,
    deployer: str,
    failed: Sequence[str],
    override: str,
) -> PromotionRecord:
    """The record of `target` just deployed. Layers the assessment could not preview (a first deploy)
    are digested from their exports, now that they are deployed."""
    previewed = {layer["name"]: layer for layer in assessment.preview}
    missing = [stack for stack in target.stacks if stack.layer not in previewed]
    if missing:
        stacks, redactor = Stacks(target), Redactor()
        for stack in missing:
            previewed[stack.layer] = {"name": stack.layer, "resources": stacks.open(stack).export(redactor).resources}
    return build_record(
        target.env,
        preview={"layers": [previewed[name] for name in DEPLOY_ORDER if name in previewed]},
        outputs_by_layer=_layer_outputs(cli, target.stacks),
        commit=commit,
        clean=clean,
        deployer=deployer,
        failed=failed,
        override=override if failed else "",
    )

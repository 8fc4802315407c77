"""What `make deploy` and `make preview` do around the layers: permission broadening, the plan digest,
the promotion gate before a deploy, and the promotion record after it.

- preview: the environment's assessment (tooling/stacks/assess.py): the broadening table (deployed
  vs preview) and the plan digest;
- deploy, before any `pulumi up`: the same, then the gate (tooling/stacks/gate.py) when the stack
  files declare `platform:promotedFrom`; in prod, a plan that broadens permissions needs
  `CONFIRM=<plan digest>` (what `make preview ENV=prod` printed), not `CONFIRM=prod`;
- deploy, after every layer succeeded: the record (tooling/stacks/record.py), with the override if
  one was used.
"""

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from shared.contracts import DEPLOY_ORDER
from tooling.checks import broadening
from tooling.checks.record import build_record
from tooling.checks.redact import Redactor
from tooling.checks.render import console
from tooling.stacks.assess import Assessment, assess_stacks
from tooling.stacks.automation import Stacks
from tooling.stacks.driver import LayerFailure, Run
from tooling.stacks.gate import Gate
from tooling.stacks.preflight import PROD, Refusal, Target, load_stack
from tooling.stacks.record import checkout_state, deployer, record_stack, write_record


@dataclass
class Prepared:
    """What was found before the deploy, carried to the record after it."""

    assessment: Assessment
    head: str
    clean: bool
    deployer: str
    failed: list[str] = field(default_factory=list)


def promotion_source(run: Run) -> str | None:
    source = str(run.stacks[0].config.get("platform:promotedFrom", "none"))
    return None if source == "none" else source


def check_promote_from(run: Run, promote_from: str) -> None:
    """`make promote FROM=<env> TO=<env>` must name the source the stack files declare."""
    if not promote_from:
        return
    declared = promotion_source(run)
    if promote_from != declared:
        raise Refusal(
            f"{run.env} is promoted from {declared or 'nowhere'} (platform:promotedFrom in its stack files), "
            f"not from {promote_from}: make promote FROM={declared} TO={run.env}"
            if declared
            else f"{run.env} declares no platform:promotedFrom: deploy it with make deploy ENV={run.env}"
        )


def show(assessment: Assessment, out: Console) -> broadening.BroadeningReport:
    report = assessment.broadening()
    broadening.render(report, out)
    partial = f" (without {', '.join(assessment.skipped)}: not previewed)" if assessment.skipped else ""
    out.print(f"plan digest {assessment.env}: {assessment.plan_digest}{partial}")
    return report


def preview_digest(run: Run, target: Target) -> None:
    show(assess_stacks(target, run.stacks), console())


def before_deploy(run: Run, target: Target, override: str, environ: Mapping[str, str]) -> Prepared:
    out = console()
    assessment = assess_stacks(target, run.stacks)
    report = show(assessment, out)
    head, clean = checkout_state()
    prepared = Prepared(assessment, head, clean, deployer(environ))
    source = promotion_source(run)
    if source is not None:
        gate = Gate(
            source=source,
            target=run.env,
            cli=run.cli,
            record_stack=record_stack(source, run.stacks[0].org),
            application_stack=load_stack("application", source),
            assessment=assessment,
            head=head,
            clean=clean,
        )
        prepared.failed = gate.run(override)
        for problem in prepared.failed:
            print(f"OVERRIDE ({prepared.deployer}: {override}): deploying despite {problem}", file=sys.stderr)
        if not prepared.failed:
            print(f"promotion from {source}: record, commit, artifact, drift and parity all pass", flush=True)
    if run.env == PROD and report.items and run.confirm != assessment.plan_digest:
        raise Refusal(
            f"refusing to deploy prod: the plan broadens permissions ({len(report.items)} grant(s), listed above); "
            "review them with make preview ENV=prod and confirm that exact plan with CONFIRM=<the digest it prints>"
        )
    return prepared


def _layer_outputs(run: Run) -> dict[str, dict[str, Any]]:
    outputs: dict[str, dict[str, Any]] = {}
    for stack in run.stacks:
        try:
            outputs[stack.layer] = run.cli.read_json(stack, "stack", "output", "--json") or {}
        except LayerFailure:
            outputs[stack.layer] = {}
    return outputs


def _deployed_layers(target: Target, layers: list[str]) -> list[dict[str, Any]]:
    """Exports of the layers the assessment could not preview (now deployed), for their digests."""
    stacks = Stacks(target)
    redactor = Redactor()
    return [
        {"name": stack.layer, "resources": stacks.open(stack).export(redactor).resources}
        for stack in target.stacks
        if stack.layer in layers
    ]


def after_deploy(run: Run, target: Target, prepared: Prepared, override: str) -> None:
    previewed = {layer["name"]: layer for layer in prepared.assessment.preview}
    missing = [layer for layer in DEPLOY_ORDER if layer not in previewed]
    for layer in _deployed_layers(target, missing) if missing else []:
        previewed[layer["name"]] = layer
    record = build_record(
        run.env,
        preview={"layers": [previewed[name] for name in DEPLOY_ORDER if name in previewed]},
        outputs_by_layer=_layer_outputs(run),
        commit=prepared.head,
        clean=prepared.clean,
        deployer=prepared.deployer,
        failed=prepared.failed,
        override=override if prepared.failed else "",
    )
    stack = record_stack(run.env, run.stacks[0].org)
    print(f"==> record {stack.name}: commit {record.commit[:12]}, clean {record.clean}, plan {record.plan_digest}")
    write_record(run.cli, stack, record)

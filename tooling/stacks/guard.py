"""The one way a stack changes: every `pulumi up` and `pulumi destroy` of tooling/stacks is `up` or
`destroy` below, and both need a `Clearance`, which only `clear` gives.

`clear(change, assessment)`, once per command, before any stack changes:
- the promotion gate (tooling/stacks/gate.py) when the stacks' files declare `platform:promotedFrom`
  (prod: staging), for every change of the platform's layers: deploy, promote, release and rollback;
  `OVERRIDE="<reason>"` deploys past it, printed and written into the record;
- in prod, the confirmation of the assessed plan: `CONFIRM=<plan digest>` must be this plan's digest,
  and a plan that broadens permissions needs it (`CONFIRM=prod` is not enough).

`up(clearance, stack)`: `stack select --create`, then `pulumi up --yes` with
- the policy pack (`--policy-pack policy`), always;
- `--diff` in prod (the preview is printed before it applies) or when the change asks for it
  (`make accounts`), `--skip-preview` elsewhere;
- `--plan <file>` when the change applies saved update plans (prod deploys): the plan the assessment's
  preview saved, whose digest was printed and confirmed; if the update leaves it, Pulumi stops and the
  failure names the resource and the property;
- `PLATFORM_DEPLOYER` set for the program, which the provider sends as the deploy role's `deployer`
  session tag.

`destroy(clearance, stack)`: `pulumi destroy --yes`, `--diff` in prod, the deployer set (the CLI runs no
policy pack on destroy). `write_record(clearance, record)`: the promotion record stack, through `up`.
"""

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shared.promotion import RECORD_PROJECT, PromotionRecord
from shared.stack_files import REPO
from tooling.stacks.assess import Assessment
from tooling.stacks.cli import PulumiCli
from tooling.stacks.gate import Gate
from tooling.stacks.preflight import deployer, is_plan_digest, load_stack
from tooling.stacks.promotion import digest_label, promotion_source
from tooling.stacks.record import checkout_state, record_stack
from tooling.stacks.types import Refusal, Stack, Target

# The CrossGuard pack (policy/) checks every resource at preview and up; the CLI runs with
# `--cwd <layer>`, so the path is absolute.
POLICY_FLAGS = ("--policy-pack", str(REPO / "policy"))


@dataclass(frozen=True)
class Change:
    """What a command is about to change: the stacks of one environment, in the order they change."""

    command: str  # deploy, release, rollback, accounts, destroy
    target: Target
    stacks: Sequence[Stack]
    usage: str  # the make command that runs it, without CONFIRM=, for refusals (`make release ENV=prod COLOR=green`)
    confirm: str = ""
    override: str = ""
    always_diff: bool = False  # show the diff outside prod too (make accounts)
    plan_dir: Path | None = None  # apply saved update plans from here (prod deploys)


@dataclass(frozen=True)
class Clearance:
    """A change that passed the gate and the confirmation; `up` and `destroy` need one."""

    change: Change
    cli: PulumiCli  # the target's environment, with the deployer
    deployer: str
    head: str
    dirty: Sequence[str]
    assessment: Assessment | None
    failed: Sequence[str] = field(default_factory=tuple)  # gate conditions overridden

    @property
    def clean(self) -> bool:
        return not self.dirty


def clear(change: Change, assessment: Assessment | None) -> Clearance:
    """The gate and the confirmation; `assessment` is None for a destroy (nothing to preview)."""
    head, dirty = checkout_state()
    who = deployer(change.target.child_env)
    cli = PulumiCli(change.target.executable, {**change.target.child_env, "PLATFORM_DEPLOYER": who})
    failed: list[str] = []
    source = promotion_source(change.stacks)
    if source is not None and assessment is not None:
        gate = Gate(
            source=source,
            target=change.target.env,
            cli=cli,
            record_stack=record_stack(source, change.stacks[0].org),
            application_stack=load_stack("application", source),
            assessment=assessment,
            head=head,
            dirty=list(dirty),
            action=change.command,
        )
        failed = gate.run(change.override)
        for problem in failed:
            print(f"OVERRIDE ({who}: {change.override}): deploying despite {problem}", file=sys.stderr)
        if not failed:
            print(f"promotion from {source}: record, commit, artifact, drift and parity all pass", flush=True)
    if change.target.prod and assessment is not None:
        confirm_plan(change, assessment)
    return Clearance(change, cli, who, head, dirty, assessment, tuple(failed))


def confirm_plan(change: Change, assessment: Assessment) -> None:
    digest, label = assessment.plan_digest, digest_label(assessment)
    retry = f"{change.usage} CONFIRM=<the plan digest {label} printed above>"
    if is_plan_digest(change.confirm) and change.confirm != digest:
        raise Refusal(
            f"refusing to {change.command} prod: CONFIRM={change.confirm} is not this plan's digest ({label}: "
            f"{digest}): the plan changed since it was reviewed; review the table above, then run {retry}"
        )
    broadening = assessment.broadening().items
    if broadening and change.confirm != digest:
        raise Refusal(
            f"refusing to {change.command} prod: the plan broadens permissions ({len(broadening)} grant(s), listed "
            f"above); review them with make preview ENV=prod and confirm that exact plan with "
            f"CONFIRM=<the digest it prints>: {retry}"
        )


def _apply_flags(change: Change) -> list[str]:
    return ["--yes", "--diff"] if change.target.prod or change.always_diff else ["--yes", "--skip-preview"]


def up(clearance: Clearance, stack: Stack, *, record: bool = False) -> None:
    """The one `pulumi up` (see the module's docstring)."""
    change, cli = clearance.change, clearance.cli
    if not record:  # write_record selected the record stack before setting its config
        cli.select(stack)
    flags = [*POLICY_FLAGS, *_apply_flags(change)]
    if change.plan_dir is None or record:
        cli.run(stack, "up", *flags)
        return
    plan = clearance.assessment.plans.get(stack.layer) if clearance.assessment else None
    if plan is None:
        # Not previewable before the layers below it existed (a first deploy): its plan comes from a
        # preview now, printed with its diff, so the update still cannot do more than it shows.
        plan = change.plan_dir / f"{stack.layer}.plan.json"
        print(f"note: {stack.layer} had no saved plan (not previewable before); previewing it now", flush=True)
        cli.run(stack, "preview", *POLICY_FLAGS, "--diff", f"--save-plan={plan}")
    cli.run_watched(stack, "up", *flags, f"--plan={plan}")


def destroy(clearance: Clearance, stack: Stack) -> None:
    clearance.cli.run(stack, "destroy", *_apply_flags(clearance.change))


def write_record(clearance: Clearance, record: PromotionRecord) -> None:
    """`pulumi config set promotion:record <json>`, then `up` of the record stack."""
    stack = record_stack(clearance.change.target.env, clearance.change.stacks[0].org)
    print(f"==> record {stack.name}: commit {record.commit[:12]}, clean {record.clean}, plan {record.plan_digest}")
    clearance.cli.select(stack, note_salt=False)
    value = json.dumps(record.outputs(), sort_keys=True)
    clearance.cli.run(stack, "config", "set", f"{RECORD_PROJECT}:record", "--", value)
    up(clearance, stack, record=True)

"""The promotion gate: only what the source environment ran goes to the target environment.

`make deploy ENV=<env>` (and `make promote FROM=<source> TO=<env>`) runs it when the target's stack
files declare `platform:promotedFrom: <source>` (prod: staging). Conditions, in order; the first that
fails refuses the deploy with one line (exit 2):

1. record      the source has a promotion record on this backend;
2. checkout    this checkout is a clean git working tree;
3. commit      the record's commit is this checkout's HEAD;
4. clean       the source was deployed from a clean working tree;
5. artifact    the artifact the source runs (its application output) is the record's, and the one the
               target's preview would deploy;
   image       the web tier's image release the target's preview would launch (its launch templates'
               ImageName tag) is the one the source runs (`make bump-image ENV=<target>` carries it);
6. drift       `make drift ENV=<source>` finds nothing (tooling.stacks.assess.detect);
7. parity      the target's preview differs from the source's deployed stacks only by declared
               variations (the one comparator, tooling.checks.compare), layer by layer for the layers
               the change applies (all four for a deploy, the application layer for a release).

`OVERRIDE="<reason>"` deploys anyway: every failed condition is printed, and the override (reason,
deployer, failed conditions) is written into the target's own promotion record.
"""

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.promotion import PromotionRecord
from tooling.checks.compare import Side, compare
from tooling.checks.redact import Redactor
from tooling.stacks.assess import Assessment, deployed, detect
from tooling.stacks.cli import PulumiCli
from tooling.stacks.record import read_record
from tooling.stacks.types import LayerFailure, Refusal, Stack, Stopped

FUNCTION = "aws:lambda/function:Function"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
IMAGE_TAG = "ImageName"  # application/web_tier.py: the image's release, the same in every region


@dataclass
class Gate:
    source: str
    target: str
    cli: PulumiCli
    record_stack: Stack
    application_stack: Stack  # the source's application layer (its artifactSha256 output)
    assessment: Assessment  # the target's preview
    head: str
    dirty: list[str]  # what `git status --porcelain` lists: modified, staged and untracked paths
    action: str = "deploy"  # what the gate guards: deploy, release or rollback (its refusals say it)
    failed: list[str] = field(default_factory=list)
    record: PromotionRecord | None = None

    # --- the conditions ---------------------------------------------------------------------------

    def check_record(self) -> str | None:
        self.record = read_record(self.cli, self.record_stack)
        if self.record is None:
            return (
                f"record: {self.source} has no promotion record ({self.record_stack.name}): "
                f"deploy this commit to {self.source} first (make deploy ENV={self.source})"
            )
        return None

    def check_checkout(self) -> str | None:
        if not self.dirty:
            return None
        shown = ", ".join(self.dirty[:5]) + (f" and {len(self.dirty) - 5} more" if len(self.dirty) > 5 else "")
        salt = (
            " (a stack file a new stack changed: Pulumi's passphrase provider writes the stack's encryptionsalt "
            "into Pulumi.<env>.yaml when it creates the stack, and that line belongs in git)"
            if any(Path(path).name.startswith("Pulumi.") for path in self.dirty)
            else ""
        )
        return (
            f"checkout: this checkout is not a clean git working tree (HEAD {self.head[:12]}): uncommitted "
            f"{shown}{salt}; commit everything, deploy it to {self.source} (make deploy ENV={self.source}), "
            "then promote"
        )

    def check_commit(self) -> str | None:
        assert self.record is not None
        if self.record.commit != self.head:
            return (
                f"commit: {self.source} last deployed commit {self.record.commit[:12]} ({self.record.recorded_at}), "
                f"this checkout is {self.head[:12]}: deploy {self.head[:12]} to {self.source} first"
            )
        return None

    def check_clean(self) -> str | None:
        assert self.record is not None
        if not self.record.clean:
            return (
                f"clean: {self.source} was deployed from a working tree with uncommitted changes "
                f"(commit {self.record.commit[:12]}): deploy {self.source} again from a clean checkout"
            )
        return None

    def check_artifact(self) -> str | None:
        assert self.record is not None
        try:
            running = self.cli.read_json(self.application_stack, "stack", "output", "--json") or {}
        except LayerFailure:
            running = {}
        runs = str(running.get("artifactSha256") or "")
        if runs != self.record.artifact_sha256:
            return (
                f"artifact: {self.source} runs artifact {runs[:12] or '(none)'}, its record says "
                f"{self.record.artifact_sha256[:12]}: {self.source} changed since; deploy it again"
            )
        planned = planned_artifacts(self.assessment.preview)
        if planned and planned != {runs}:
            return (
                f"artifact: {self.target} would deploy artifact {', '.join(sorted(p[:12] for p in planned))}, "
                f"{self.source} runs {runs[:12]}: deploy this artifact to {self.source} first"
            )
        return None

    def check_image(self) -> str | None:
        try:
            exported = self.cli.read_json(self.application_stack, "stack", "export") or {}
        except LayerFailure:
            exported = {}
        runs = image_names((exported.get("deployment") or {}).get("resources") or [])
        planned = image_names(resource for layer in self.assessment.preview for resource in layer["resources"])
        if planned and planned != runs:
            return (
                f"image: {self.target} would launch {', '.join(sorted(planned))}, {self.source} runs "
                f"{', '.join(sorted(runs)) or '(none)'}: make bump-image ENV={self.target} carries its image"
            )
        return None

    def check_drift(self) -> str | None:
        try:
            report = detect(self.source)
        except (Refusal, Stopped) as exc:
            return f"drift: make drift ENV={self.source} could not run: {exc}"
        if report.items:
            first = report.items[0]
            return (
                f"drift: make drift ENV={self.source} finds {len(report.items)} difference(s) "
                f"(first: {first.comparison} {first.layer} {first.name} {first.path or '(resource)'}): "
                f"{self.source} is not what its record says; fix or redeploy it"
            )
        return None

    def check_parity(self) -> str | None:
        if not self.assessment.complete:
            layers = ", ".join(self.assessment.skipped)
            return f"parity: {self.target}'s preview failed for {layers}: nothing to compare with {self.source}"
        source_side, _ = deployed(self.source, Redactor())
        applied = {layer["name"] for layer in self.assessment.preview}
        source_layers = [layer for layer in source_side.snapshot["layers"] if layer["name"] in applied]
        source_side = Side(self.source, "deployed", {"layers": source_layers})
        target_side = Side(self.target, "plan", {"layers": self.assessment.preview})
        undeclared = [item for item in compare(source_side, target_side) if not item.declared]
        if undeclared:
            first = undeclared[0]
            return (
                f"parity: {self.target}'s preview differs from {self.source} in {len(undeclared)} undeclared way(s) "
                f"(first: {first.layer} {first.name} {first.path or '(resource)'}): declare the key in "
                f"shared/variations.py or remove the difference (make compare LEFT={self.source} RIGHT={self.target})"
            )
        return None

    # --- running them -------------------------------------------------------------------------------

    def run(self, override: str) -> list[str]:
        """The failed conditions' lines; raises Refusal at the first one unless `override` is given."""
        steps: Sequence[tuple[Callable[[], str | None], bool]] = (
            (self.check_record, False),
            (self.check_checkout, False),
            (self.check_commit, True),
            (self.check_clean, True),
            (self.check_artifact, True),
            (self.check_image, False),
            (self.check_drift, False),
            (self.check_parity, False),
        )
        for check, needs_record in steps:
            if needs_record and self.record is None:
                continue
            problem = check()
            if problem is None:
                continue
            line = f"refusing to {self.action} {self.target}: promotion from {self.source} failed at {problem}"
            if not override:
                raise Refusal(f'{line} (or, in an emergency, OVERRIDE="<reason>", which is recorded)')
            self.failed.append(problem)
        return self.failed


def image_names(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    """The image releases launch templates name (their ImageName tag)."""
    return {
        str(tags[IMAGE_TAG])
        for resource in resources
        if resource.get("type") == LAUNCH_TEMPLATE
        and IMAGE_TAG in (tags := (resource.get("inputs") or {}).get("tags") or {})
    }


def planned_artifacts(preview: Sequence[dict[str, Any]]) -> set[str]:
    """Hex sha256 of every Lambda zip the preview deploys (functions' sourceCodeHash is base64)."""
    found = set()
    for layer in preview:
        for resource in layer["resources"]:
            code_hash = (resource.get("inputs") or {}).get("sourceCodeHash")
            if resource["type"] == FUNCTION and isinstance(code_hash, str):
                try:
                    found.add(base64.b64decode(code_hash, validate=True).hex())
                except (binascii.Error, ValueError):
                    continue
    return found

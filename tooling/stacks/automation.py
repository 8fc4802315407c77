"""The Pulumi Automation API over one environment's stacks: the only module that calls it.

Every call shells out to the `pulumi` CLI found on PATH (preflight checked it is there), in the
layer's directory, with the environment `tooling.stacks.preflight.resolve_target` built: the same
backend, fully qualified stack names and credentials as `make preview|deploy`. Stacks are
selected, never created: these commands only read.

- `export`: `pulumi stack export --show-secrets` (plaintext secrets: redacted here, at once);
- `secret_config`: `pulumi config --show-secrets --json`, the values the stack marks secret;
- `preview_steps`: `pulumi preview --event-log ...`, code vs state (with `--save-plan` and the policy pack
  when the guard asks for an update plan);
- `refresh_steps`: `pulumi refresh --preview-only --event-log ...`, state vs cloud; never a
  refresh that writes state.

The steps come from the engine's events (`ResourcePreEvent`), not from `change_summary`, which
miscounts preview-only refreshes (pulumi/pulumi#19443).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.events import EngineEvent, StepEventMetadata

from tooling.checks.redact import Redactor
from tooling.stacks.types import LayerFailure, Refusal, Stack, Target


@dataclass(frozen=True)
class Export:
    """A stack's resources as `pulumi stack export` has them, secrets already redacted."""

    resources: list[dict[str, Any]]

    def by_urn(self) -> dict[str, dict[str, Any]]:
        return {r["urn"]: r for r in self.resources}


class Stacks:
    """Opens the stacks of one target through one `PulumiCommand` (one `pulumi version` call)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._command = auto.PulumiCommand()

    def open(self, stack: Stack) -> "LayerStack":
        options = auto.LocalWorkspaceOptions(env_vars=dict(self.target.child_env), pulumi_command=self._command)
        try:
            selected = auto.select_stack(stack_name=stack.name, work_dir=str(stack.cwd), opts=options)
        except auto.StackNotFoundError as exc:
            raise Refusal(
                f"{stack.name} does not exist on {self.target.backend.url}: nothing is deployed there "
                f"(make deploy ENV={stack.env}), or PULUMI_BACKEND_URL names another backend"
            ) from exc
        except auto.CommandError as exc:
            raise LayerFailure(_failure("stack select", exc)) from exc
        return LayerStack(selected)


def _failure(command: str, exc: auto.CommandError) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip().startswith("error")]
    return f"`pulumi {command}` failed: {lines[-1].strip() if lines else str(exc).strip().splitlines()[-1]}"


class LayerStack:
    def __init__(self, stack: auto.Stack) -> None:
        self._stack = stack

    def secret_config(self) -> list[str]:
        """Plaintext of every config value the stack marks secret (to redact wherever it shows up)."""
        try:
            config = self._stack.get_all_config()
        except auto.CommandError as exc:
            raise LayerFailure(_failure("config", exc)) from exc
        return [str(value.value) for value in config.values() if value.secret]

    def export(self, redactor: Redactor) -> Export:
        try:
            deployment = self._stack.export_stack().deployment or {}
        except auto.CommandError as exc:
            raise LayerFailure(_failure("stack export", exc)) from exc
        return Export([redactor.resource(r) for r in deployment.get("resources") or []])

    def preview_steps(self, save_plan: Path | None = None, policy_packs: Sequence[str] = ()) -> list[StepEventMetadata]:
        """The preview's steps; with `save_plan`, the update plan `pulumi up --plan` applies is saved there."""
        return self._steps(
            "preview",
            lambda on_event: self._stack.preview(
                on_event=on_event,
                diff=True,
                plan=str(save_plan) if save_plan else None,
                policy_packs=list(policy_packs) or None,
            ),
        )

    def refresh_steps(self) -> list[StepEventMetadata]:
        return self._steps(
            "refresh --preview-only", lambda on_event: self._stack.preview_refresh(on_event=on_event, diff=True)
        )

    @staticmethod
    def _steps(command: str, run: Callable[[Callable[[EngineEvent], None]], object]) -> list[StepEventMetadata]:
        steps: list[StepEventMetadata] = []

        def collect(event: EngineEvent) -> None:
            if event.resource_pre_event is not None:
                steps.append(event.resource_pre_event.metadata)

        try:
            run(collect)
        except auto.CommandError as exc:
            raise LayerFailure(_failure(command, exc)) from exc
        return steps

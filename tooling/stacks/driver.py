"""`make preview|deploy|destroy|outputs ENV=<env>`: the real Pulumi CLI over the four layers.

Layers run in `shared.contracts.DEPLOY_ORDER` (reversed for destroy); the first failing layer
stops the run. Before anything is called, the checks in `tooling.stacks.preflight` refuse with one line
and exit code 2 (unknown environment, prod not confirmed with `--confirm prod`, no `pulumi` CLI,
no passphrase for a self-managed backend, no AWS credentials).

Decisions (docs/deploying.md explains them to users):
- Stack names are always fully qualified, `<org>/<layer>/<env>`, with `<org>` from
  `platform:stackOrg` (default `organization`), on every backend: they are exactly the names
  the layers' StackReferences read (shared/stack_refs.py). Self-managed backends (file://,
  s3://, gs://, azblob://, postgres://) only know the org `organization`.
- `PULUMI_BACKEND_URL` unset: a file backend in the repo, `file://<repo>/.pulumi-state`.
- Stacks are created on first use (`pulumi stack select --create`).
- `deploy` and `destroy` skip Pulumi's preview except in prod, where the preview (with
  `--diff`) is shown before the change is applied.
- `destroy` refuses, before destroying anything, while any layer's stack holds `protect`ed
  resources (prod's data stores); it prints the `pulumi state unprotect` command that makes a
  teardown on purpose possible.
"""

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.contracts import CONTRACTS, DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO
from tooling.stacks.preflight import (
    LOCAL_STATE,
    PROD,
    Backend,
    Refusal,
    Stack,
    check_confirmation,
    resolve_target,
)

# The CrossGuard pack (policy/) checks every resource at preview and up; the CLI runs with
# `--cwd <layer>`, so the path is absolute.
POLICY_FLAGS = ("--policy-pack", str(REPO / "policy"))
REFUSED = 2
FAILED = 1
INTERRUPTED = 130


class LayerFailure(Exception):
    """A pulumi command failed for one layer."""


class Stopped(Exception):
    """The run stopped at a failing layer; later layers were not run."""


# --- arguments ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.stacks",
        description="Run the real Pulumi CLI over the four layers of one environment "
        f"({' -> '.join(DEPLOY_ORDER)}; reversed for destroy). See docs/deploying.md.",
    )
    parser.add_argument("command", choices=("preview", "deploy", "destroy", "outputs"))
    parser.add_argument("--env", default="", help=f"environment: {', '.join(ENVIRONMENTS)} (make: ENV=)")
    parser.add_argument("--confirm", default="", help="must be 'prod' to deploy or destroy prod (make: CONFIRM=prod)")
    return parser.parse_args(argv)


# --- the CLI ----------------------------------------------------------------------------------


class PulumiCli:
    """`pulumi <args> --cwd <layer> --stack <org>/<layer>/<env> --non-interactive` via subprocess."""

    def __init__(self, executable: str, env: Mapping[str, str]) -> None:
        self.executable = executable
        self.env = dict(env)

    def argv(self, stack: Stack, args: Sequence[str]) -> list[str]:
        return [self.executable, *args, "--cwd", str(stack.cwd), "--stack", stack.name, "--non-interactive"]

    def run(self, stack: Stack, *args: str) -> None:
        """Runs with the terminal attached, so the user sees Pulumi's progress."""
        self._finish(args, subprocess.Popen(self.argv(stack, args), env=self.env))

    def read_json(self, stack: Stack, *args: str) -> Any:
        process = subprocess.Popen(self.argv(stack, args), env=self.env, stdout=subprocess.PIPE, text=True)
        stdout = self._finish(args, process)
        try:
            return json.loads(stdout or "null")
        except json.JSONDecodeError as exc:
            raise LayerFailure(f"`pulumi {' '.join(args)}` printed no JSON ({exc})") from exc

    @staticmethod
    def _finish(args: Sequence[str], process: "subprocess.Popen[str] | subprocess.Popen[bytes]") -> str:
        """Waits for pulumi, even through Ctrl-C: pulumi gets the same signal and cancels cleanly.

        Killing it instead would leave the stack locked with pending operations. An interrupted
        layer counts as failed, so no later layer starts.
        """
        interrupted = False
        while True:
            try:
                stdout, _ = process.communicate()
                break
            except KeyboardInterrupt:
                interrupted = True
                print("interrupted: waiting for pulumi to stop cleanly", file=sys.stderr, flush=True)
        if interrupted:
            raise LayerFailure(f"`pulumi {' '.join(args)}` was interrupted (Ctrl-C)")
        if process.returncode != 0:
            raise LayerFailure(f"`pulumi {' '.join(args)}` exited with {process.returncode}")
        return stdout if isinstance(stdout, str) else ""


@dataclass(frozen=True)
class Run:
    command: str
    env: str
    stacks: Sequence[Stack]
    cli: PulumiCli
    backend: Backend

    @property
    def prod(self) -> bool:
        return self.env == PROD


def for_each_layer(stacks: Sequence[Stack], step: Callable[[Stack], None], action: str, hint: str = "") -> None:
    """Runs `step` per layer in the given order; the first failure stops the run, naming the layer."""
    for index, stack in enumerate(stacks):
        print(f"==> {action} {stack.layer} ({stack.name})", flush=True)
        try:
            step(stack)
        except LayerFailure as exc:
            not_run = ", ".join(s.layer for s in stacks[index + 1 :]) or "none"
            raise Stopped(
                f"{action} stopped at layer {stack.layer} ({stack.name}): {exc}; not run: {not_run}{hint}"
            ) from exc


def ensure_stack(run: Run, stack: Stack) -> None:
    run.cli.run(stack, "stack", "select", "--create")


def apply_flags(run: Run) -> list[str]:
    """Prod shows the preview (as a diff) before applying; other environments skip it."""
    return ["--yes", "--diff"] if run.prod else ["--yes", "--skip-preview"]


def preview(run: Run) -> None:
    def step(stack: Stack) -> None:
        ensure_stack(run, stack)
        run.cli.run(stack, "preview", *POLICY_FLAGS, *(["--diff"] if run.prod else []))

    hint = " (a layer's preview reads the layers below it: deploy them first)"
    for_each_layer(run.stacks, step, run.command, hint)


def deploy(run: Run) -> None:
    def step(stack: Stack) -> None:
        ensure_stack(run, stack)
        run.cli.run(stack, "up", *POLICY_FLAGS, *apply_flags(run))

    for_each_layer(run.stacks, step, run.command)


def destroy(run: Run) -> None:
    stacks = list(reversed(run.stacks))
    protected: dict[str, list[str]] = {}

    def inspect(stack: Stack) -> None:
        ensure_stack(run, stack)
        protected[stack.layer] = protected_resources(run.cli.read_json(stack, "stack", "export"))

    for_each_layer(stacks, inspect, "destroy (protection check)", "; nothing was destroyed")
    refuse_protected(run, [s for s in stacks if protected[s.layer]], protected)
    for_each_layer(stacks, lambda stack: run.cli.run(stack, "destroy", *apply_flags(run)), run.command)


def protected_resources(export: Any) -> list[str]:
    resources = ((export or {}).get("deployment") or {}).get("resources") or []
    return [f"{r.get('type')} {str(r.get('urn', '')).rsplit('::', 1)[-1]}" for r in resources if r.get("protect")]


def refuse_protected(run: Run, stacks: Sequence[Stack], protected: Mapping[str, list[str]]) -> None:
    if not stacks:
        return
    backend = f"PULUMI_BACKEND_URL={run.backend.url} " if run.backend.defaulted else ""
    confirm = " CONFIRM=prod" if run.prod else ""
    for stack in stacks:
        print(f"protected in {stack.name}: {', '.join(protected[stack.layer])}", file=sys.stderr)
        print(
            f"to tear them down on purpose: {backend}pulumi state unprotect --all --yes "
            f"--cwd {stack.layer} --stack {stack.name}",
            file=sys.stderr,
        )
    raise Refusal(
        f"refusing to destroy {run.env}: {sum(len(protected[s.layer]) for s in stacks)} protected resources "
        f"in {', '.join(s.name for s in stacks)}; nothing was destroyed. Unprotect them with the command "
        f"above (or see docs/deploying.md), then run make destroy ENV={run.env}{confirm} again"
    )


# --- outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputRow:
    key: str
    value: str
    description: str
    readers: str
    status: str  # "ok", "missing" (contract lists it, the stack lacks it) or "extra" (not in the contract)


def output_rows(layer: str, outputs: Mapping[str, Any]) -> list[OutputRow]:
    contract = CONTRACTS[layer]
    rows = [
        OutputRow(
            key=key,
            value=show_value(outputs[key]) if key in outputs else "-",
            description=description,
            readers=", ".join(contract.readers_of(key)) or "-",
            status="ok" if key in outputs else "missing",
        )
        for key, description in contract.exports.items()
    ]
    extras = [key for key in outputs if key not in contract.exports]
    rows += [OutputRow(key, show_value(outputs[key]), "not in the contract", "-", "extra") for key in extras]
    return rows


def show_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


STATUS_STYLE = {"ok": "", "missing": "bold red", "extra": "yellow"}
STATUS_NOTE = {
    "ok": "",
    "missing": "MISSING: the contract lists it, the stack does not export it",
    "extra": "NOT IN CONTRACT: add it to shared/contracts.py or stop exporting it",
}


def output_table(stack: Stack, rows: Iterable[OutputRow]) -> Table:
    table = Table(title=f"{stack.name}", title_justify="left")
    for column in ("output", "value", "description", "read by", "contract"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = STATUS_STYLE[row.status]
        table.add_row(row.key, row.value, row.description, row.readers, STATUS_NOTE[row.status], style=style)
    return table


def outputs(run: Run) -> None:
    console = Console()
    mismatches: list[str] = []

    def step(stack: Stack) -> None:
        rows = output_rows(stack.layer, run.cli.read_json(stack, "stack", "output", "--json") or {})
        console.print(output_table(stack, rows))
        mismatches.extend(f"{stack.layer}.{r.key} ({r.status})" for r in rows if r.status != "ok")

    for_each_layer(run.stacks, step, run.command, f" (is it deployed? make deploy ENV={run.env})")
    if mismatches:
        raise Stopped(f"outputs differ from the contract in shared/contracts.py: {', '.join(mismatches)}")


COMMANDS: Mapping[str, Callable[[Run], None]] = {
    "preview": preview,
    "deploy": deploy,
    "destroy": destroy,
    "outputs": outputs,
}


# --- main -------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, environ: Mapping[str, str], home: Path) -> Run:
    """Every check that can refuse, in order; nothing is called before they all pass."""
    check_confirmation(args.command, args.env, args.confirm)
    target = resolve_target(args.command, args.env, environ, home, aws=args.command != "outputs")
    return Run(args.command, args.env, target.stacks, PulumiCli(target.executable, target.child_env), target.backend)


def start(run: Run) -> None:
    if run.backend.defaulted:
        LOCAL_STATE.mkdir(exist_ok=True)
    print(run.backend.describe(), flush=True)
    COMMANDS[run.command](run)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        start(prepare(args, os.environ, Path.home()))
    except Refusal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return REFUSED
    except Stopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return INTERRUPTED
    print(f"{args.command} {args.env}: done")
    return 0

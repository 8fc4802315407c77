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
- A deploy is a sequence of steps: preflight (`tooling.stacks.preflight`), assess (every layer's
  preview and export: broadening and the plan digest), the guard's clearance (the promotion gate,
  the prod confirmation), `up` per layer, then the promotion record. Every stack change goes through
  `tooling.stacks.guard`: the policy pack, `--diff` in prod (elsewhere `--skip-preview`), the
  deployer, and in prod the saved update plan of the assessed preview (`pulumi up --plan`).
- `destroy` refuses, before destroying anything, while any layer's stack holds `protect`ed
  resources (prod's data stores); it prints the `pulumi state unprotect` command that makes a
  teardown on purpose possible.
"""

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.contracts import CONTRACTS, DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from tooling.checks.render import console
from tooling.stacks import guard, promotion
from tooling.stacks.assess import assess_stacks
from tooling.stacks.cli import PulumiCli, for_each_layer
from tooling.stacks.preflight import LOCAL_STATE, check_confirmation, resolve_target
from tooling.stacks.types import FAILED, INTERRUPTED, REFUSED, LayerFailure, Refusal, Stack, Stopped, Target

# --- arguments ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.stacks",
        description="Run the real Pulumi CLI over the four layers of one environment "
        f"({' -> '.join(DEPLOY_ORDER)}; reversed for destroy). See docs/deploying.md.",
    )
    parser.add_argument("command", choices=("preview", "deploy", "destroy", "outputs"))
    parser.add_argument("--env", default="", help=f"environment: {', '.join(ENVIRONMENTS)} (make: ENV=)")
    parser.add_argument(
        "--confirm",
        default="",
        help="'prod' to deploy or destroy prod; the plan digest when prod's plan broadens permissions (make: CONFIRM=)",
    )
    parser.add_argument(
        "--override", default="", help="deploy past a failed promotion gate, with this reason (make: OVERRIDE=)"
    )
    parser.add_argument(
        "--promote-from", default="", help="the environment promoted from; must be platform:promotedFrom (make: FROM=)"
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Run:
    command: str
    env: str
    target: Target
    cli: PulumiCli  # reads only: every change goes through tooling.stacks.guard
    usage: str  # the make command that runs this, without CONFIRM=, for refusals
    confirm: str = ""
    override: str = ""

    @property
    def prod(self) -> bool:
        return self.target.prod

    def change(self, plan_dir: Path | None = None) -> guard.Change:
        return guard.Change(
            self.command, self.target, self.target.stacks, self.usage, self.confirm, self.override, plan_dir=plan_dir
        )


# --- preview, deploy, destroy ------------------------------------------------------------------


def preview(run: Run) -> None:
    def step(stack: Stack) -> None:
        run.cli.select(stack)
        run.cli.run(stack, "preview", *guard.POLICY_FLAGS, *(["--diff"] if run.prod else []))

    hint = " (a layer's preview reads the layers below it: deploy them first)"
    for_each_layer(run.target.stacks, step, run.command, hint)
    promotion.show(assess_stacks(run.target, run.target.stacks), console())


@contextmanager
def update_plans(run: Run) -> Iterator[Path | None]:
    """Prod applies saved update plans: a private directory for them, removed afterwards."""
    if not run.prod:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=f"pulumi-plans-{run.env}-") as directory:
        yield Path(directory)


def deploy(run: Run) -> None:
    """Assess, clear (gate, confirmation), `up` per layer, record; preflight ran in `prepare`."""
    stacks = run.target.stacks
    with update_plans(run) as plan_dir:
        policy = guard.POLICY_FLAGS[1:] if plan_dir else ()
        assessment = assess_stacks(run.target, stacks, plan_dir=plan_dir, policy_packs=policy)
        promotion.show(assessment, console())
        clearance = guard.clear(run.change(plan_dir), assessment)
        for_each_layer(stacks, lambda stack: guard.up(clearance, stack), run.command)
        try:
            record = promotion.build(
                run.target,
                clearance.cli,
                assessment,
                commit=clearance.head,
                clean=clearance.clean,
                deployer=clearance.deployer,
                failed=clearance.failed,
                override=run.override,
            )
            guard.write_record(clearance, record)
        except LayerFailure as exc:
            raise Stopped(f"deployed, but the promotion record was not written: {exc}") from exc


def destroy(run: Run) -> None:
    stacks = list(reversed(run.target.stacks))
    protected: dict[str, list[str]] = {}

    def inspect(stack: Stack) -> None:
        run.cli.select(stack)
        protected[stack.layer] = protected_resources(run.cli.read_json(stack, "stack", "export"))

    for_each_layer(stacks, inspect, "destroy (protection check)", "; nothing was destroyed")
    refuse_protected(run, [s for s in stacks if protected[s.layer]], protected)
    clearance = guard.clear(run.change(), None)
    for_each_layer(stacks, lambda stack: guard.destroy(clearance, stack), run.command)


def protected_resources(export: Any) -> list[str]:
    resources = ((export or {}).get("deployment") or {}).get("resources") or []
    return [f"{r.get('type')} {str(r.get('urn', '')).rsplit('::', 1)[-1]}" for r in resources if r.get("protect")]


def refuse_protected(run: Run, stacks: Sequence[Stack], protected: Mapping[str, list[str]]) -> None:
    if not stacks:
        return
    backend = f"PULUMI_BACKEND_URL={run.target.backend.url} " if run.target.backend.defaulted else ""
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
        f"above (or see docs/deploying.md), then run {run.usage}{' CONFIRM=prod' if run.prod else ''} again"
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
    out = Console()
    mismatches: list[str] = []

    def step(stack: Stack) -> None:
        rows = output_rows(stack.layer, run.cli.read_json(stack, "stack", "output", "--json") or {})
        out.print(output_table(stack, rows))
        mismatches.extend(f"{stack.layer}.{r.key} ({r.status})" for r in rows if r.status != "ok")

    for_each_layer(run.target.stacks, step, run.command, f" (is it deployed? make deploy ENV={run.env})")
    if mismatches:
        raise Stopped(f"outputs differ from the contract in shared/contracts.py: {', '.join(mismatches)}")


COMMANDS: Mapping[str, Callable[[Run], None]] = {
    "preview": preview,
    "deploy": deploy,
    "destroy": destroy,
    "outputs": outputs,
}


# --- main -------------------------------------------------------------------------------------


def usage_of(args: argparse.Namespace) -> str:
    """The make command that runs these arguments, without CONFIRM= (refusals add what it needs)."""
    if args.promote_from:
        return f"make promote FROM={args.promote_from} TO={args.env}"
    return f"make {args.command} ENV={args.env}"


def prepare(args: argparse.Namespace, environ: Mapping[str, str], home: Path) -> Run:
    """Every check that can refuse, in order; nothing is called before they all pass."""
    check_confirmation(args.command, args.env, args.confirm)
    target = resolve_target(args.command, args.env, environ, home, aws=args.command != "outputs")
    if args.promote_from:
        promotion.check_promote_from(args.env, target.stacks, args.promote_from)
    cli = PulumiCli(target.executable, target.child_env)
    return Run(args.command, args.env, target, cli, usage_of(args), args.confirm, args.override)


def start(run: Run) -> None:
    if run.target.backend.defaulted:
        LOCAL_STATE.mkdir(exist_ok=True)
    print(run.target.backend.describe(), flush=True)
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

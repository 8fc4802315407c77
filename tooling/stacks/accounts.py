"""`make accounts ENV=<env>`: `pulumi up` of accounts/ (the deploy role of one environment's account).

Not part of `make deploy`: an administrator of the environment's account runs it once (and again
when accounts/ changes), with that account's administrator credentials, never the deploy role.
The same preflight as the layers (environment, prod confirmation, stack file, CLI, backend, org,
passphrase, AWS credentials), the assessment (broadening of the deploy role's grants, the plan
digest), then the guard's `up` (tooling/stacks/guard.py): the policy pack, the deployer, prod's
confirmation of a broadening plan, and here always the diff before applying.
"""

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.environments import ENVIRONMENTS
from tooling.checks.render import console
from tooling.stacks import guard
from tooling.stacks.assess import assess_stacks
from tooling.stacks.preflight import LOCAL_STATE, check_confirmation, resolve_target
from tooling.stacks.promotion import show
from tooling.stacks.types import FAILED, REFUSED, LayerFailure, Refusal

PROJECT = "accounts"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tooling.stacks.accounts",
        description="pulumi up of accounts/ (the deploy role) in one environment's account. See docs/deploying.md.",
    )
    parser.add_argument("--env", default="", help=f"environment: {', '.join(ENVIRONMENTS)} (make: ENV=)")
    parser.add_argument("--confirm", default="", help="'prod' to bootstrap the prod account (make: CONFIRM=)")
    return parser.parse_args(argv)


def bootstrap(env: str, confirm: str, environ: Mapping[str, str], home: Path) -> None:
    """Every check that can refuse first, then the assessment and the guarded `up` (always with the diff)."""
    check_confirmation(PROJECT, env, confirm)
    target = resolve_target(PROJECT, env, environ, home, aws=True, layers=(PROJECT,))
    if target.backend.defaulted:
        LOCAL_STATE.mkdir(exist_ok=True)
    print(target.backend.describe(), flush=True)
    assessment = assess_stacks(target, target.stacks)
    show(assessment, console())
    usage = f"make accounts ENV={env}"
    change = guard.Change(PROJECT, target, target.stacks, usage, confirm, always_diff=True)
    clearance = guard.clear(change, assessment)
    (stack,) = target.stacks
    print(f"==> deploy {PROJECT} ({stack.name})", flush=True)
    guard.up(clearance, stack)
    clearance.cli.run(stack, "stack", "output", "deployRoleArn")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bootstrap(args.env, args.confirm, os.environ, Path.home())
    except Refusal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return REFUSED
    except LayerFailure as exc:
        print(f"error: {PROJECT} ({args.env}): {exc}", file=sys.stderr)
        return FAILED
    print(f"accounts {args.env}: done; set platform:deployRoleArn to the ARN above in every layer's stack file")
    return 0


if __name__ == "__main__":
    sys.exit(main())

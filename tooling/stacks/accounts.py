"""`make accounts ENV=<env>`: `pulumi up` of accounts/ (the deploy role of one environment's account).

Not part of `make deploy`: an administrator of the environment's account runs it once (and again
when accounts/ changes), with that account's administrator credentials, never the deploy role.
The same preflight as the layers (environment, prod confirmation, stack file, CLI, backend, org,
passphrase, AWS credentials), then the policy pack and, always, the diff before applying.
"""

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.environments import ENVIRONMENTS
from tooling.stacks.driver import FAILED, POLICY_FLAGS, REFUSED, LayerFailure, PulumiCli
from tooling.stacks.preflight import (
    LOCAL_STATE,
    Refusal,
    aws_credentials,
    check_confirmation,
    check_environment,
    check_org,
    check_passphrase,
    find_pulumi,
    load_stack,
    resolve_backend,
)

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
    """Every check that can refuse first, then `stack select --create` and `up --yes --diff`."""
    check_environment(PROJECT, env)
    check_confirmation("deploy", env, confirm)
    stack = load_stack(PROJECT, env)
    executable = find_pulumi()
    backend = resolve_backend(environ)
    check_org([stack], backend)
    check_passphrase([stack], backend, environ)
    extra = aws_credentials([stack], environ, home)
    if backend.defaulted:
        LOCAL_STATE.mkdir(exist_ok=True)
    print(backend.describe(), flush=True)
    cli = PulumiCli(executable, {**environ, **extra, "PULUMI_BACKEND_URL": backend.url})
    print(f"==> deploy {PROJECT} ({stack.name})", flush=True)
    cli.run(stack, "stack", "select", "--create")
    cli.run(stack, "up", *POLICY_FLAGS, "--yes", "--diff")
    cli.run(stack, "stack", "output", "deployRoleArn")


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

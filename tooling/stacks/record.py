"""The promotion record on the backend: written after a successful `make deploy`, read by the gate.

Where: the outputs of the stack `<org>/payments-promotion/<env>` (project `tooling/stacks/record_stack/`), next
to the layers' stacks on the same backend. Why a stack and not a file or a tag: outputs are kept by
every backend (file, s3, gs, azblob, postgres, Pulumi Cloud) with their history (`pulumi stack
history`), they need no cloud SDK of their own, and a StackReference can read them (stack tags
cannot, a file next to the state exists only on file backends). See docs/promotion.md.
"""

import getpass
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from shared.promotion import RECORD_PROJECT, PromotionRecord
from shared.stack_files import REPO
from tooling.stacks.driver import LayerFailure, PulumiCli
from tooling.stacks.preflight import Stack

RECORD_DIR = Path(__file__).resolve().parent / "record_stack"
UNKNOWN_COMMIT = "unknown"


def record_stack(env: str, org: str) -> Stack:
    return Stack(layer=RECORD_PROJECT, env=env, org=org, config={}, secrets_provider="passphrase", directory=RECORD_DIR)


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def checkout_state() -> tuple[str, bool]:
    """(HEAD, whether the working tree is clean: nothing modified, staged or untracked); outside a git
    checkout ("unknown", False)."""
    head = _git("rev-parse", "HEAD")
    if head is None:
        return UNKNOWN_COMMIT, False
    status = _git("status", "--porcelain")
    return head, status == ""


def deployer(environ: Mapping[str, str]) -> str:
    """Who deploys: PLATFORM_DEPLOYER, else git's user.email, else the login name."""
    named = environ.get("PLATFORM_DEPLOYER") or _git("config", "user.email")
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def write_record(cli: PulumiCli, stack: Stack, record: PromotionRecord) -> None:
    """`pulumi config set promotion:record <json>` then `pulumi up` of the record stack."""
    cli.run(stack, "stack", "select", "--create")
    cli.run(stack, "config", "set", f"{RECORD_PROJECT}:record", "--", json.dumps(record.outputs(), sort_keys=True))
    cli.run(stack, "up", "--yes", "--skip-preview")


def read_record(cli: PulumiCli, stack: Stack) -> PromotionRecord | None:
    """The record, or None when the stack does not exist or holds none."""
    try:
        outputs = cli.read_json(stack, "stack", "output", "--json")
    except LayerFailure:
        return None
    if not outputs:
        return None
    try:
        return PromotionRecord.model_validate(outputs)
    except ValidationError:
        return None


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """What the layers' programs get: the deployer, for the deploy role's session tags."""
    return {**environ, "PLATFORM_DEPLOYER": deployer(environ)}


__all__ = ["RECORD_DIR", "checkout_state", "deployer", "read_record", "record_stack", "write_record"]

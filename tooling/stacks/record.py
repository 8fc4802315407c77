"""The promotion record on the backend: written after a successful `make deploy` (by the guard,
`tooling.stacks.guard.write_record`), read by the gate; and the checkout facts it records.

Where: the outputs of the stack `<org>/payments-promotion/<env>` (project `tooling/stacks/record_stack/`), next
to the layers' stacks on the same backend. Why a stack and not a file or a tag: outputs are kept by
every backend (file, s3, gs, azblob, postgres, Pulumi Cloud) with their history (`pulumi stack
history`), they need no cloud SDK of their own, and a StackReference can read them (stack tags
cannot, a file next to the state exists only on file backends). See docs/promotion.md.
"""

from pathlib import Path

from pydantic import ValidationError

from shared.promotion import RECORD_PROJECT, PromotionRecord
from shared.stack_files import REPO
from tooling.stacks.cli import PulumiCli
from tooling.stacks.preflight import git
from tooling.stacks.types import LayerFailure, Stack

RECORD_DIR = Path(__file__).resolve().parent / "record_stack"
UNKNOWN_COMMIT = "unknown"


def record_stack(env: str, org: str) -> Stack:
    return Stack(layer=RECORD_PROJECT, env=env, org=org, config={}, secrets_provider="passphrase", directory=RECORD_DIR)


def checkout_state() -> tuple[str, list[str]]:
    """(HEAD, what keeps the working tree from being clean: every modified, staged or untracked path);
    outside a git checkout ("unknown", ["(not a git checkout)"])."""
    head = git("rev-parse", "HEAD")
    status = git("status", "--porcelain") if head is not None else None
    if head is None or status is None:
        return UNKNOWN_COMMIT, [f"(not a git checkout: {REPO})"]
    return head, [line[3:] for line in status.splitlines() if line.strip()]


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


__all__ = ["RECORD_DIR", "checkout_state", "read_record", "record_stack"]

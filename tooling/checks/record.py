"""The promotion record's contents, from one environment's snapshot and outputs (no I/O here).

`tooling/stacks/guard.py` writes it after a successful `make deploy`; the offline plan answers the
application layer's read with the same record built from the lower environment's offline plan
(`plan_environment` below hands `offline_record` to the engine).
"""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from policy import PACK_NAME
from shared.promotion import PROMOTABLE, Override, PromotionRecord
from shared.stack_files import REPO
from tooling.checks.broadening import layer_digests, plan_digest
from tooling.checks.compare import declared_config
from tooling.checks.stack_config import check_stack_files
from tooling.plan import engine

POLICY_DIR = REPO / "policy"
OFFLINE_COMMIT = "offline-plan"


def policy_pack_version() -> str:
    """`<pack>@<12 hex>`: the pack has no version of its own, so its sources' digest is its version."""
    digest = hashlib.sha256()
    for path in sorted(POLICY_DIR.glob("*.py")) + sorted(POLICY_DIR.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{PACK_NAME}@{digest.hexdigest()[:12]}"


def promotable(outputs_by_layer: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The outputs declared promotable (shared/promotion.py), missing ones as empty strings."""
    return {
        key: str(outputs_by_layer.get(layer, {}).get(key) or "") for layer, keys in PROMOTABLE.items() for key in keys
    }


def build_record(
    env: str,
    *,
    preview: Mapping[str, Any],
    outputs_by_layer: Mapping[str, Mapping[str, Any]],
    commit: str,
    clean: bool,
    deployer: str,
    failed: Sequence[str] = (),
    override: str = "",
    now: datetime | None = None,
) -> PromotionRecord:
    """`preview` is the environment's snapshot in the comparator's shape (the steps' new states, or an
    offline plan); its per-layer digests are the comparator's normalized form."""
    digests = layer_digests(preview, declared_config(env))
    return PromotionRecord(
        environment=env,
        commit=commit,
        clean=clean,
        artifact_sha256=str(outputs_by_layer.get("application", {}).get("artifactSha256") or ""),
        policy_pack=policy_pack_version(),
        preview_digests=digests,
        plan_digest=plan_digest(digests),
        promotable=promotable(outputs_by_layer),
        deployer=deployer,
        recorded_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        override=Override(reason=override, deployer=deployer, failed=tuple(failed)) if override else None,
    )


def offline_record(env: str, plan: dict[str, Any]) -> dict[str, Any]:
    """The record `make deploy ENV=<env>` would write, from `env`'s offline plan: what the higher
    environment's plan reads (shared/stack_refs.PromotionRecordReference) instead of a backend."""
    outputs = {layer["name"]: layer["outputs"] for layer in plan["layers"]}
    record = build_record(
        env, preview=plan, outputs_by_layer=outputs, commit=OFFLINE_COMMIT, clean=True, deployer=OFFLINE_COMMIT
    )
    return record.outputs() | {"recordedAt": "offline"}


def plan_environment(env: str) -> dict[str, Any]:
    """`env`'s offline plan, its read of the promotion source's record answered from that source's plan;
    PlatformConfigError listing every problem of every stack file first (`check_stack_files`)."""
    check_stack_files()
    return engine.plan_environment(env, offline_record)


@cache
def planned(env: str) -> dict[str, Any]:
    """`env`'s offline plan, planned once per process: `make check`, `make review` and the test suites share
    it. Callers treat it as read-only (copy it before changing it)."""
    return plan_environment(env)

"""Promotion: which environment promotes into which, and the record a successful deploy leaves.

Which environment a release must come from is the stack-config key `platform:promotedFrom`
(typed in `shared/config.py`, identical in the four layers of an environment): prod declares
`staging`; staging may declare `dev`; an environment without it deploys ungated. The gate
(`tooling/stacks/gate.py`), `make promote` and the application layer's `promotedFrom` export all
read that one key.

The record is the outputs of a tiny stack per environment, `<org>/payments-promotion/<env>`, on the same
backend as the layers (project `tooling/stacks/record_stack/`: no resources, it exports the record it is
given). A stack's outputs are the one thing every backend keeps (file, s3, gs, azblob, postgres and
Pulumi Cloud), with history, and the only thing a `StackReference` can read: the higher
environment's application layer reads the lower one's record through one (`shared/stack_refs.py`).
"""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

RECORD_PROJECT = "promotion"  # the record stack's layer name and config namespace (project payments-promotion)
RECORD_SCHEMA_VERSION = 1
# The outputs a record promotes, by layer: what the higher environment may learn of the lower one.
PROMOTABLE: dict[str, tuple[str, ...]] = {"data": ("transactionsTableArn", "idempotencyTableArn")}
# The one layer that reads the lower environment's record, and the record keys it may read.
RECORD_READER = "application"
RECORD_READ_KEYS: tuple[str, ...] = ("environment", "commit", "clean", "artifactSha256", "promotable")


class Override(BaseModel):
    """An emergency deploy past a failed gate: who, why, and which conditions failed."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    reason: str = Field(min_length=3)
    deployer: str
    failed: tuple[str, ...]


class PromotionRecord(BaseModel):
    """What a successful `make deploy ENV=<env>` ran (camelCase keys: they are stack outputs)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    schema_version: int = RECORD_SCHEMA_VERSION
    environment: str
    commit: str = Field(description="git HEAD of the checkout that deployed")
    clean: bool = Field(description="the working tree had no uncommitted or untracked changes")
    artifact_sha256: str = Field(description="the application layer's artifactSha256 after the deploy")
    policy_pack: str = Field(description="<pack name>@<sha256 of policy/*.py, 12 hex>")
    preview_digests: dict[str, str] = Field(description="layer -> sha256 of its normalized preview")
    plan_digest: str = Field(description="the digest of the whole plan, as make preview prints it")
    promotable: dict[str, str] = Field(description="the outputs declared in PROMOTABLE, by name")
    deployer: str
    recorded_at: str
    override: Override | None = None

    def outputs(self) -> dict[str, object]:
        """The record as the record stack's outputs (camelCase keys)."""
        return self.model_dump(mode="json", by_alias=True)

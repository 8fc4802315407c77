"""Reading a lower layer's outputs, only through its documented contract."""

from typing import Any

import pulumi

from shared.config import PlatformConfig
from shared.contracts import CONTRACTS
from shared.errors import ContractError
from shared.projects import qualified_stack_name
from shared.promotion import RECORD_PROJECT, RECORD_READ_KEYS, RECORD_READER


class UpstreamStack:
    """The same-environment stack of a lower layer, e.g. `organization/payments-networking/prod`."""

    def __init__(self, layer: str, reader: str, platform: PlatformConfig) -> None:
        allowed = CONTRACTS[reader].reads
        if layer not in allowed:
            raise ContractError(
                f"layer {reader!r} does not read {layer!r}; it reads: {', '.join(allowed) or 'nothing'}"
            )
        self.layer = layer
        self.reader = reader
        self.stack_name = qualified_stack_name(platform.stack_org, layer, pulumi.get_stack())
        self._keys = allowed[layer]
        self._ref = pulumi.StackReference(f"{layer}-{pulumi.get_stack()}", stack_name=self.stack_name)
        self._identity_checked = pulumi.Output.all(
            self._ref.require_output("environment"), self._ref.require_output("region")
        ).apply(lambda values: self._check_identity(platform, *values))

    def require(self, key: str) -> pulumi.Output[Any]:
        """A contract output, released only once the upstream environment and region match ours.

        Fails the run when the upstream stack does not export the key.
        """
        if key not in self._keys:
            raise ContractError(
                f"{self.reader} may not read {self.layer}.{key}: add it to shared/contracts.py "
                f"(it reads {', '.join(self._keys)})"
            )
        return pulumi.Output.all(self._identity_checked, self._ref.require_output(key)).apply(lambda v: v[1])

    def _check_identity(self, platform: PlatformConfig, environment: str, region: str) -> bool:
        if (environment, region) != (platform.environment, platform.region):
            raise ContractError(
                f"{self.stack_name} is environment {environment!r} in {region!r}, but this "
                f"{self.reader} stack is {platform.environment!r} in {platform.region!r}: "
                "refusing to mix environments"
            )
        return True


class PromotionRecordReference:
    """The one deliberate cross-environment read: the promotion record of the environment this one is
    promoted from (`platform:promotedFrom`), `<org>/payments-promotion/<source>`.

    Declared in shared/promotion.py: only the application layer reads it, only RECORD_READ_KEYS, and
    only once the record says it is the source environment's (the peering read is checked the same way).
    """

    def __init__(self, reader: str, platform: PlatformConfig) -> None:
        source = platform.promotion_source
        if reader != RECORD_READER:
            raise ContractError(
                f"layer {reader!r} may not read another environment's promotion record; only {RECORD_READER!r} does"
            )
        if source is None:
            raise ContractError("platform:promotedFrom is none: this environment reads no promotion record")
        self.reader = reader
        self.source = source
        self.stack_name = qualified_stack_name(platform.stack_org, RECORD_PROJECT, source)
        self._ref = pulumi.StackReference(f"promotion-record-{source}", stack_name=self.stack_name)
        self._checked = self._ref.require_output("environment").apply(self._check_source)

    def require(self, key: str) -> pulumi.Output[Any]:
        if key not in RECORD_READ_KEYS:
            raise ContractError(
                f"{self.reader} may not read {key!r} of {self.stack_name}; it reads {', '.join(RECORD_READ_KEYS)}"
            )
        return pulumi.Output.all(self._checked, self._ref.require_output(key)).apply(lambda v: v[1])

    def promoted_from(self) -> pulumi.Output[dict[str, Any]]:
        """What the application layer exports as `promotedFrom`."""
        keys = ("environment", "commit", "artifactSha256", "promotable")
        return pulumi.Output.all(*(self.require(k) for k in keys)).apply(
            lambda v: {"environment": v[0], "commit": v[1], "artifactSha256": v[2], "tables": v[3]}
        )

    def _check_source(self, environment: str) -> bool:
        if environment != self.source:
            raise ContractError(
                f"{self.stack_name} is the record of {environment!r}, not of {self.source!r} "
                "(platform:promotedFrom): refusing to promote from another environment"
            )
        return True

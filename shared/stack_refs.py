"""Reading a lower layer's outputs, only through its documented contract."""

from typing import Any

import pulumi

from shared.config import PlatformConfig
from shared.contracts import CONTRACTS
from shared.errors import ContractError


class UpstreamStack:
    """The same-environment stack of a lower layer, e.g. `organization/networking/prod`."""

    def __init__(self, layer: str, reader: str, platform: PlatformConfig) -> None:
        allowed = CONTRACTS[reader].reads
        if layer not in allowed:
            raise ContractError(
                f"layer {reader!r} does not read {layer!r}; it reads: {', '.join(allowed) or 'nothing'}"
            )
        self.layer = layer
        self.reader = reader
        self.stack_name = f"{platform.stack_org}/{layer}/{pulumi.get_stack()}"
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

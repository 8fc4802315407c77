"""`networking:` keys of the stack files, validated."""

from collections.abc import Mapping
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from shared.config import StackConfig, StrictModel
from shared.environments import Environment
from shared.errors import PlatformConfigError
from shared.stack_files import read_stack_file, stack_files

NatStrategy = Literal["none", "single", "per_az"]


class PeeringSettings(StrictModel):
    """Optional VPC peering with the same layer of another environment (staging <-> prod)."""

    enabled: bool = False
    role: Literal["requester", "accepter"] = "requester"
    peer_environment: Environment | None = None

    @model_validator(mode="after")
    def _peer_named(self) -> "PeeringSettings":
        if self.enabled and self.peer_environment is None:
            raise ValueError("peerEnvironment is required when enabled is true")
        return self


class NetworkingSettings(StrictModel):
    vpc_cidr: IPv4Network
    availability_zones: int = Field(ge=2, le=4)
    nat_strategy: NatStrategy
    peering: PeeringSettings = PeeringSettings()

    @classmethod
    def platform_problems(cls, raw: Mapping[str, Any]) -> list[str]:
        peering, own = raw.get("networking:peering"), raw.get("platform:environment")
        if isinstance(peering, dict) and peering.get("enabled") and peering.get("peerEnvironment") == own:
            return [f"networking:peering.peerEnvironment: {own!r} cannot peer with itself"]
        return []

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr_size(cls, cidr: IPv4Network) -> IPv4Network:
        if not 16 <= cidr.prefixlen <= 20:
            raise ValueError(f"{cidr} must be between a /16 and a /20 so each AZ gets its own subnets")
        if not cidr.is_private:
            raise ValueError(f"{cidr} is not a private (RFC 1918) range")
        return cidr


def check_across_environments(config: StackConfig[NetworkingSettings], project_dir: Path) -> None:
    """VPC ranges of all environments must never overlap (peering and promotion depend on it)."""
    own = config.platform.environment
    clashes = []
    for stack, path in stack_files(project_dir).items():
        other = read_stack_file(path)
        if other.get("platform:environment") == own:
            continue
        cidr = other.get("networking:vpcCidr")
        if cidr and IPv4Network(cidr, strict=False).overlaps(config.layer.vpc_cidr):
            clashes.append(f"{cidr} in {path.name} ({stack})")
    if clashes:
        raise PlatformConfigError(
            f"networking:vpcCidr {config.layer.vpc_cidr} overlaps {', '.join(clashes)}; "
            "every environment needs its own non-overlapping range"
        )

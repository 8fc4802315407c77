"""`networking:` keys of the stack files, validated."""

from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from shared.config import PlatformConfig, StackConfig, StrictModel, platform_of
from shared.environments import AVAILABILITY_ZONES, Environment

NatStrategy = Literal["none", "single", "per_az"]


class PeeringSettings(StrictModel):
    """Optional VPC peering with the same layer of another environment (staging <-> prod)."""

    enabled: bool = Field(default=False, description="Peer this VPC with another environment's.")
    role: Literal["requester", "accepter"] = Field(
        default="requester", description="requester or accepter; deploy the requester side first."
    )
    peer_environment: Environment | None = Field(
        default=None, validate_default=True, description="The environment to peer with."
    )

    @field_validator("peer_environment")
    @classmethod
    def _another_environment(cls, peer: str | None, info: ValidationInfo) -> str | None:
        if not info.data.get("enabled"):
            return peer
        if peer is None:
            raise ValueError("required when enabled is true")
        platform = platform_of(info)
        if platform and peer == platform.environment:
            raise ValueError(f"{peer!r} cannot peer with itself")
        return peer


class NetworkingSettings(StrictModel):
    vpc_cidr: IPv4Network = Field(
        description="A private /16 to /20 that overlaps no other environment's (peering depends on it)."
    )
    availability_zones: int = Field(
        ge=2, le=4, description="AZs with a public and a private subnet each (2-4, at most what the region offers)."
    )
    nat_strategy: NatStrategy = Field(
        description="none (VPC endpoints only), single (one NAT gateway) or per_az (one per AZ, no shared failure)."
    )
    peering: PeeringSettings = Field(
        default=PeeringSettings(), description="Optional VPC peering with the same layer of another environment."
    )

    @field_validator("availability_zones")
    @classmethod
    def _offered_by_the_region(cls, zones: int, info: ValidationInfo) -> int:
        platform = platform_of(info)
        if platform and zones > AVAILABILITY_ZONES[platform.region]:
            raise ValueError(
                f"{zones} is more than the {AVAILABILITY_ZONES[platform.region]} zones {platform.region} "
                "(platform:region) offers"
            )
        return zones

    def environment_problems(self, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        """VPC ranges of all environments must never overlap (peering and promotion depend on it)."""
        clashes = [
            f"{other.layer.vpc_cidr} in Pulumi.{stack}.yaml"
            for stack, other in others.items()
            if other.layer.vpc_cidr.overlaps(self.vpc_cidr)
        ]
        if not clashes:
            return []
        return [
            f"networking:vpcCidr: {self.vpc_cidr} overlaps {', '.join(clashes)}; "
            "every environment needs its own non-overlapping range"
        ]

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr_size(cls, cidr: IPv4Network) -> IPv4Network:
        if not 16 <= cidr.prefixlen <= 20:
            raise ValueError(f"{cidr} must be between a /16 and a /20 so each AZ gets its own subnets")
        if not cidr.is_private:
            raise ValueError(f"{cidr} is not a private (RFC 1918) range")
        return cidr

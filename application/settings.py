"""`application:` keys of the stack files, validated."""

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from shared.config import StrictModel

Color = Literal["blue", "green"]
COLORS: tuple[Color, ...] = ("blue", "green")
# Graviton (arm64) families only: the AMI is Amazon Linux 2023 arm64.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.(nano|micro|small|medium|large|\d*xlarge)$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def other_color(color: Color) -> Color:
    return "green" if color == "blue" else "blue"


class DomainSettings(StrictModel):
    """The public name of the ALB. Empty ({}): no domain, a generated certificate imported into ACM."""

    name: str | None = Field(default=None, description="DNS name the ALB serves, e.g. pay.example.com.")
    hosted_zone_id: str | None = Field(
        default=None, description="Route 53 public hosted zone id holding `name` (DNS validation of the certificate)."
    )

    @field_validator("name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a lowercase DNS name such as pay.example.com")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not _HOSTED_ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route 53 hosted zone id (Z followed by letters and digits)")
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> "DomainSettings":
        if (self.name is None) != (self.hosted_zone_id is None):
            raise ValueError("set both name and hostedZoneId (ACM with DNS validation), or neither ({})")
        return self

    @property
    def enabled(self) -> bool:
        return self.name is not None


class WebTierSettings(StrictModel):
    """Size of each colour of the EC2 web tier (both colours keep this size, so rollback is instant)."""

    instance_type: str = Field(description="Graviton (arm64) instance type, e.g. t4g.small.")
    min_size: int = Field(ge=1, le=20, description="Fewest instances per colour.")
    max_size: int = Field(ge=1, le=50, description="Most instances per colour.")
    desired_capacity: int = Field(ge=1, le=50, description="Instances per colour the group keeps.")

    @field_validator("instance_type")
    @classmethod
    def _graviton(cls, value: str) -> str:
        if not _GRAVITON.match(value):
            raise ValueError(f"{value!r} is not a Graviton (arm64) instance type such as t4g.small or m7g.large")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "WebTierSettings":
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"minSize ({self.min_size}) <= desiredCapacity ({self.desired_capacity}) <= maxSize "
                f"({self.max_size}) must hold"
            )
        return self


class ApplicationSettings(StrictModel):
    # --- edge: certificate, WAF ---
    domain: DomainSettings = Field(
        description="Public DNS name and Route 53 zone of the ALB (ACM, DNS-validated); {} for a generated "
        "certificate for the ALB's own name, imported into ACM."
    )
    waf: bool = Field(description="AWS WAF on the ALB: managed rule groups and a rate limit per client IP.")
    # --- web tier, blue/green ---
    web_tier: WebTierSettings = Field(description="Instance type and Auto Scaling sizes of each colour.")
    active_color: Color = Field(
        description="The colour the 443 listener sends traffic to (written by make release / make rollback)."
    )
    canary_percent: int = Field(
        ge=0, le=50, description="Share of traffic (0-50 %) the idle colour gets during a canary release step."
    )
    # --- one value for every environment ---
    waf_rate_limit: int = Field(
        default=2000,
        ge=100,
        le=2_000_000_000,
        description="Requests per client IP per 5 minutes before WAF blocks it (the API path included).",
    )
    api_function_timeout_seconds: int = Field(
        default=10, ge=1, le=29, description="Timeout of the ALB API function (shorter than the health-check interval)."
    )
    api_function_memory_mb: int = Field(default=512, ge=128, le=10240, description="Memory of the ALB API function.")

    def weights(self) -> dict[Color, int]:
        """Listener weights per colour: the active colour keeps all but the canary share."""
        idle = other_color(self.active_color)
        return {self.active_color: 100 - self.canary_percent, idle: self.canary_percent}

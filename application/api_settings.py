"""`application:` keys of the API Gateway front door (application/api.py), validated.

Rules that span environments live here too: `apigateway.Account` (the CloudWatch role API Gateway
uses for every API of an account and region) must have exactly one owning stack per account and
region, or logging breaks (no owner) or the owners overwrite and reset each other (two owners).
"""

import re
from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Protocol

import msgspec
from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from payments.models import MerchantId
from shared.account_singletons import SingleOwner, single_owner_problems
from shared.config import PlatformConfig, StackConfig, StrictModel

# API Gateway's default account-level limits per region (10,000 requests/s, burst 5,000): a stage
# or usage plan above them is throttled by AWS anyway, so a larger value is a typo, not a plan.
ACCOUNT_RATE_LIMIT = 10_000
ACCOUNT_BURST_LIMIT = 5_000
# Merchant ids name AWS resources (API keys `api-key-<merchant>-<env>-<suffix>`), so they are the
# subset of the functions' MerchantId (payments.models) that is also a valid resource name.
_MERCHANT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$")


def _merchant_id(value: str) -> str:
    try:
        msgspec.convert(value, MerchantId)
    except msgspec.ValidationError:
        raise ValueError(f"{value!r} is not a merchant id the payment functions accept (payments.models)") from None
    if not _MERCHANT_ID.match(value):
        raise ValueError(
            f"{value!r} must be 3-64 lowercase letters, digits or inner hyphens (it names the merchant's API key)"
        )
    return value


MerchantIdSetting = Annotated[str, AfterValidator(_merchant_id)]


class ApiThrottle(StrictModel):
    """Steady rate and burst: the stage's limit for all callers (`*/*`) and each API key's in the usage plan."""

    rate_limit: int = Field(ge=1, le=ACCOUNT_RATE_LIMIT, description="Steady-state requests per second.")
    burst_limit: int = Field(ge=1, le=ACCOUNT_BURST_LIMIT, description="Largest burst (token bucket size).")

    @field_validator("burst_limit")
    @classmethod
    def _covers_the_rate(cls, burst: int, info: ValidationInfo) -> int:
        rate = info.data.get("rate_limit")
        if rate is not None and burst < rate:
            raise ValueError(
                f"{burst} is below rateLimit ({rate}): the bucket could never hold one second of the steady rate; "
                "set burstLimit >= rateLimit"
            )
        return burst


class ApiQuota(StrictModel):
    """How many requests each merchant's API key may send per period (usage plan quota)."""

    limit: int = Field(ge=1, description="Requests per period and API key.")
    period: Literal["DAY", "WEEK", "MONTH"] = Field(description="DAY, WEEK or MONTH.")


API_GATEWAY_ACCOUNT = SingleOwner(
    key="application:ownsApiGatewayAccount",
    what="the API Gateway account settings",
    why="CloudWatch role for API logs",
)


class ApiGatewayAccountOwner(Protocol):
    owns_api_gateway_account: bool


def api_gateway_account_problems(
    own: ApiGatewayAccountOwner, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]
) -> list[str]:
    """Among the environments sharing an account (platform:allowedAccountIds) and region, exactly one
    sets application:ownsApiGatewayAccount."""
    return single_owner_problems(
        API_GATEWAY_ACCOUNT,
        own=own.owns_api_gateway_account,
        platform=platform,
        others={stack: (other.platform, other.layer.owns_api_gateway_account) for stack, other in others.items()},
    )


def unique_merchants(merchants: list[str]) -> list[str]:
    duplicates = sorted(m for m, count in Counter(merchants).items() if count > 1)
    if duplicates:
        raise ValueError(f"merchant ids must be unique; repeated: {', '.join(duplicates)}")
    return merchants

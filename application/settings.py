"""`application:` keys of the stack files, validated."""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from application.api_settings import (
    ApiQuota,
    ApiThrottle,
    MerchantIdSetting,
    api_gateway_account_problems,
    unique_merchants,
)
from shared.config import PlatformConfig, StackConfig, StrictModel


class ApplicationSettings(StrictModel):
    # --- API Gateway (application/api.py) ---
    api_throttle: ApiThrottle = Field(
        description="Stage throttling for all callers (MethodSettings */*) and for each API key (usage plan)."
    )
    api_quota: ApiQuota = Field(description="Usage plan quota of each merchant's API key.")
    api_logging_level: Literal["INFO", "ERROR"] = Field(
        description="API Gateway execution logging level (INFO or ERROR); data tracing is always off."
    )
    merchants: Annotated[list[MerchantIdSetting], AfterValidator(unique_merchants)] = Field(
        min_length=1,
        description="Merchant ids; each gets its own API key in the usage plan (the functions map key id -> merchant).",
    )
    owns_api_gateway_account: bool = Field(
        description=(
            "Whether this stack owns apigateway.Account, the CloudWatch role of every API in its account and region; "
            "exactly one environment per account and region sets true."
        )
    )

    def environment_problems(self, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        return [*api_gateway_account_problems(self, platform, others)]

"""`accounts:` keys of the stack files, validated with the `platform:` block before anything is declared.

The project creates, in one environment's account, the role the layers' provider assumes
(`platform:deployRoleArn`). Only one principal may assume it: `deployerPrincipalArn`.
"""

import re

from pydantic import Field, ValidationInfo, field_validator

from shared.config import PlatformConfig, StrictModel, platform_of
from shared.environments import Region
from shared.naming import Namer
from shared.providers import DEPLOY_ROLE_TYPE

PROJECT = "accounts"
# One IAM role or user: no root, no wildcard, no assumed-role session, no federated principal.
_PRINCIPAL = re.compile(r"^arn:aws:iam::(\d{12}):(role|user)/([\w+=,.@/-]{1,512})$")


def deploy_role_name(platform: PlatformConfig) -> str:
    """`deploy-role-<environment>-<suffix>`: the name this project gives the deploy role."""
    return Namer(platform.environment, platform.environment_suffix).name(DEPLOY_ROLE_TYPE, "iam")


class AccountsSettings(StrictModel):
    deployer_principal_arn: str = Field(
        description="The one IAM role or user (ARN, e.g. the CI role in the tooling account) that may assume "
        "the deploy role, and only with the session tags the provider sends."
    )
    max_session_duration_seconds: int = Field(
        default=3600, ge=3600, le=43200, description="Longest deploy-role session, seconds (3600-43200)."
    )
    additional_regions: list[Region] = Field(
        default=[],
        description="Regions besides platform:region the layers deploy to (data:dr.region when DR is on); "
        "the deploy role and the boundary refuse every other region.",
    )

    @field_validator("deployer_principal_arn")
    @classmethod
    def _one_principal(cls, value: str, info: ValidationInfo) -> str:
        if not _PRINCIPAL.match(value):
            raise ValueError(
                f"{value!r} is not one IAM role or user ARN (arn:aws:iam::<12-digit account>:role/<name> or "
                ":user/<name>); an account root, a wildcard or an assumed-role session would trust too much"
            )
        platform = platform_of(info)
        if platform and value.split(":")[5] == f"role/{deploy_role_name(platform)}":
            raise ValueError(f"{value!r} is the deploy role itself; name the principal that deploys (the CI role)")
        return value

    @field_validator("additional_regions")
    @classmethod
    def _other_regions(cls, regions: list[str], info: ValidationInfo) -> list[str]:
        platform = platform_of(info)
        if platform and platform.region in regions:
            raise ValueError(f"{platform.region!r} is platform:region already; list only other regions")
        if len(set(regions)) != len(regions):
            raise ValueError("a region is listed twice")
        return regions


def deploy_role_problems(platform: PlatformConfig, account_id: str) -> list[str]:
    """platform:deployRoleArn (when set) must name the role this project creates in this account."""
    expected = f"arn:aws:iam::{account_id}:role/{deploy_role_name(platform)}"
    if platform.deploy_role_arn and platform.deploy_role_arn != expected:
        return [
            f"platform:deployRoleArn is {platform.deploy_role_arn!r} but this account's deploy role is {expected!r}; "
            "set it to that ARN in every layer's stack file of this environment"
        ]
    return []

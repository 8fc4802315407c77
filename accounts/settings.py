"""`accounts:` keys of the stack files, validated with the `platform:` block before anything is declared.

The project creates, in one environment's account, the roles every deploy and drift check goes
through: who may enter (GitHub Actions jobs of one repository, people through federation) and what
the Pulumi provider then assumes (the deploy role, or the read-only drift role).
"""

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from shared.config import PlatformConfig, StackConfig, StrictModel, platform_of
from shared.environments import Region
from shared.naming import Namer
from shared.providers import DEPLOY_ROLE_TYPE

PROJECT = "accounts"
# One IAM role or user (a path is allowed: IAM Identity Center's roles live under aws-reserved/):
# no root, no wildcard, no assumed-role session.
_PRINCIPAL = re.compile(r"^arn:aws:iam::(\d{12}):(role|user)/([\w+=,.@/-]{1,512})$")
_SAML_PROVIDER = re.compile(r"^arn:aws:iam::\d{12}:saml-provider/[\w.-]{1,128}$")
# owner/name as GitHub spells it in the OIDC `sub` claim, or its immutable form owner@<id>/name@<id>.
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}(@\d+)?/[A-Za-z0-9._-]{1,100}(@\d+)?$")
# What STS accepts in a session tag key and value.
_TAG_KEY = re.compile(r"^[\w.:/=+@-]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w.:/=+@ -]{0,256}$")


def deploy_role_name(platform: PlatformConfig) -> str:
    """`deploy-role-<environment>-<suffix>`: the name this project gives the deploy role."""
    return Namer(platform.environment, platform.environment_suffix).name(DEPLOY_ROLE_TYPE, "iam")


class GithubAccess(StrictModel):
    """Which GitHub repository's workflows may enter this account, through GitHub's OIDC provider."""

    repository: str = Field(
        description="owner/name of the repository whose workflows deploy (or owner@<org id>/name@<repo id> when "
        "it emits immutable OIDC subjects): the `repo:` part of the token's sub claim."
    )
    owns_oidc_provider: bool = Field(
        description="Whether this stack creates the account's GitHub OIDC provider (IAM allows one per URL "
        "and account): exactly one environment per account sets true."
    )

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not _REPOSITORY.match(value):
            raise ValueError(f"{value!r} is not a GitHub repository: owner/name (or owner@<id>/name@<id>)")
        return value


class HumanAccess(StrictModel):
    """Who may enter as a person (the deployer role), and on which condition."""

    principal_arns: list[str] = Field(
        min_length=1,
        description="IAM roles or users that people sign in as (an IAM Identity Center permission set's "
        "AWSReservedSSO_... role in the identity account), or SAML providers of this account.",
    )
    require_mfa: bool = Field(
        default=False,
        description="Only sessions whose credentials were obtained with MFA (aws:MultiFactorAuthPresent); "
        "applies to the IAM role and user principals.",
    )
    session_tags: dict[str, str] = Field(
        default={},
        validate_default=True,  # the condition check below runs on it
        description="Tags the person's session must carry: principal tags of the signed-in session (Identity "
        "Center attributes for access control) for IAM principals, session tags the IdP sends for SAML.",
    )

    @field_validator("principal_arns")
    @classmethod
    def _principals(cls, values: list[str]) -> list[str]:
        for value in values:
            if not (_PRINCIPAL.match(value) or _SAML_PROVIDER.match(value)):
                raise ValueError(
                    f"{value!r} is neither one IAM role or user ARN (arn:aws:iam::<account>:role/<path/name>) nor a "
                    "SAML provider (arn:aws:iam::<account>:saml-provider/<name>); an account root, a wildcard or an "
                    "assumed-role session would trust too much"
                )
        if len(set(values)) != len(values):
            raise ValueError("a principal is listed twice")
        return values

    @field_validator("session_tags")
    @classmethod
    def _tags(cls, tags: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        """The tags' form, then the condition each kind of principal needs (checked here, on the last key, so
        it is reported together with any other field's problem)."""
        bad = [f"{k}={v}" for k, v in tags.items() if not (_TAG_KEY.match(k) and _TAG_VALUE.match(v))]
        if bad:
            raise ValueError(f"not a valid STS session tag: {', '.join(bad)} (letters, digits, spaces and _.:/=+-@)")
        principals = info.data.get("principal_arns") or []
        if any(_PRINCIPAL.match(arn) for arn in principals) and not (info.data.get("require_mfa") or tags):
            raise ValueError(
                "IAM role or user principals need a condition: requireMfa: true, or sessionTags their sessions carry"
            )
        if any(_SAML_PROVIDER.match(arn) for arn in principals) and not tags:
            raise ValueError(
                "SAML providers need sessionTags (STS sees no MFA in a SAML assertion): the tags your IdP sends"
            )
        return tags

    @property
    def iam_principals(self) -> list[str]:
        return [arn for arn in self.principal_arns if _PRINCIPAL.match(arn)]

    @property
    def saml_providers(self) -> list[str]:
        return [arn for arn in self.principal_arns if _SAML_PROVIDER.match(arn)]


class StateBackend(StrictModel):
    """The S3 bucket holding Pulumi's state (PULUMI_BACKEND_URL=s3://...), usually in another account."""

    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", description="Bucket name.")
    kms_key_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws:kms:[a-z0-9-]+:\d{12}:key/[a-f0-9-]+$",
        description="Customer-managed KMS key of the bucket's SSE-KMS encryption, if any.",
    )


class AccountsSettings(StrictModel):
    github: GithubAccess = Field(
        description="GitHub Actions: the repository whose jobs in GitHub environment <env> may deploy and in "
        "drift-<env> may check drift, through GitHub's OIDC provider."
    )
    human_deployers: HumanAccess = Field(
        description="People: the federated principals that may enter as the deployer role, and the MFA or "
        "session-tag condition they must meet."
    )
    state_backend: StateBackend | None = Field(
        default=None,
        description="The S3 state bucket the entry roles may use (its bucket policy must grant them too); "
        "null with Pulumi Cloud or another backend.",
    )
    max_session_duration_seconds: int = Field(
        default=3600, ge=3600, le=43200, description="Longest session of every role, seconds (3600-43200)."
    )
    additional_regions: list[Region] = Field(
        default=[],
        description="Regions besides platform:region the layers deploy to (data:dr.region when DR is on); "
        "the deploy role and the boundary refuse every other region.",
    )

    @field_validator("human_deployers")
    @classmethod
    def _not_the_deploy_role(cls, access: HumanAccess, info: ValidationInfo) -> HumanAccess:
        platform = platform_of(info)
        own = f"role/{deploy_role_name(platform)}" if platform else None
        for arn in access.principal_arns:
            if own and arn.split(":", 5)[5] == own:
                raise ValueError(f"{arn!r} is the deploy role itself; name the principal people sign in as")
        return access

    @field_validator("additional_regions")
    @classmethod
    def _other_regions(cls, regions: list[str], info: ValidationInfo) -> list[str]:
        platform = platform_of(info)
        if platform and platform.region in regions:
            raise ValueError(f"{platform.region!r} is platform:region already; list only other regions")
        if len(set(regions)) != len(regions):
            raise ValueError("a region is listed twice")
        return regions

    def environment_problems(self, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        """Among the environments sharing an account, exactly one creates the GitHub OIDC provider."""
        problems = []
        for account in platform.allowed_account_ids:
            sharing = [
                stack for stack, other in sorted(others.items()) if account in other.platform.allowed_account_ids
            ]
            owners = [stack for stack in sharing if others[stack].layer.github.owns_oidc_provider]
            if self.github.owns_oidc_provider:
                owners.insert(0, f"this stack ({platform.environment})")
            if len(owners) > 1:
                problems.append(
                    f"accounts:github.ownsOidcProvider: {' and '.join(owners)} both create the GitHub OIDC provider "
                    f"of account {account}; exactly one environment there may set it to true"
                )
            elif not owners:
                problems.append(
                    f"accounts:github.ownsOidcProvider: no environment creates the GitHub OIDC provider of account "
                    f"{account}; set it to true in exactly one of: {', '.join([platform.environment, *sharing])}"
                )
        return problems


def deploy_role_problems(platform: PlatformConfig, account_id: str) -> list[str]:
    """platform:deployRoleArn (when set) must name the role this project creates in this account."""
    expected = f"arn:aws:iam::{account_id}:role/{deploy_role_name(platform)}"
    if platform.deploy_role_arn and platform.deploy_role_arn != expected:
        return [
            f"platform:deployRoleArn is {platform.deploy_role_arn!r} but this account's deploy role is {expected!r}; "
            "set it to that ARN in every layer's stack file of this environment"
        ]
    return []

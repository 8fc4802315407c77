"""The one AWS provider a stack uses: right region, right account, optionally a deploy role."""

import json
import os
import re
from collections.abc import Mapping
from typing import Any

import pulumi_aws as aws

from shared.config import PlatformConfig
from shared.errors import PlatformConfigError
from shared.naming import Namer

# Services the platform calls, pointed at LocalStack when platform:localstackEndpoint is set.
_LOCALSTACK_SERVICES = (
    "apigateway", "cloudwatch", "cloudwatchlogs", "dynamodb", "ec2", "elbv2", "iam", "kms", "lambda",
    "rds", "s3", "secretsmanager", "sns", "sqs", "ssm", "sts", "xray", "wafv2", "acm",
)  # fmt: skip


# Session tags the trust policies of the deploy and drift roles require (accounts/): who works on
# which layer where.
SESSION_TAG_KEYS = ("environment", "layer", "deployer")
# What accounts/ creates in each environment's account ({type}-{environment}-{suffix}): the role the
# provider assumes to deploy, its permissions policy, the permission boundary every role it creates
# carries, and the read-only role the provider assumes for drift checks.
DEPLOY_ROLE_TYPE = "deploy-role"
DEPLOY_POLICY_TYPE = "deploy-policy"
DEPLOY_BOUNDARY_TYPE = "deploy-boundary"
DRIFT_ROLE_TYPE = "drift-role"
# Which of those two roles the provider assumes, chosen by the run (not the stack: the same
# environment is deployed and checked for drift): `deploy` unless PLATFORM_AWS_ROLE says `drift`.
ROLE_CHOICE_VARIABLE = "PLATFORM_AWS_ROLE"
ROLE_TYPES = {"deploy": DEPLOY_ROLE_TYPE, "drift": DRIFT_ROLE_TYPE}


def deploy_boundary_arn(platform: PlatformConfig) -> str | None:
    """The boundary accounts/ creates next to platform:deployRoleArn (None without a deploy role):
    every IAM role a layer creates through that role must carry it, or IAM refuses the call."""
    if not platform.deploy_role_arn:
        return None
    account = platform.deploy_role_arn.split(":")[4]
    name = Namer(platform.environment, platform.environment_suffix).name(DEPLOY_BOUNDARY_TYPE, "iam")
    return f"arn:aws:iam::{account}:policy/{name}"


def assumed_role_arn(platform: PlatformConfig) -> str | None:
    """platform:deployRoleArn, or with PLATFORM_AWS_ROLE=drift the drift role next to it (same account,
    `drift-role-<environment>-<suffix>`); None without a deploy role (the ambient credentials are used)."""
    choice = os.environ.get(ROLE_CHOICE_VARIABLE) or "deploy"
    if choice not in ROLE_TYPES:
        raise PlatformConfigError(
            f"{ROLE_CHOICE_VARIABLE}={choice!r} is not a role of accounts/; allowed: {', '.join(ROLE_TYPES)} "
            "(unset means deploy)"
        )
    if not platform.deploy_role_arn:
        return None
    account = platform.deploy_role_arn.split(":")[4]
    name = Namer(platform.environment, platform.environment_suffix).name(ROLE_TYPES[choice], "iam")
    return platform.deploy_role_arn if choice == "deploy" else f"arn:aws:iam::{account}:role/{name}"


def session_tags(platform: PlatformConfig, layer: str) -> dict[str, str]:
    """`deployer` is PLATFORM_DEPLOYER, which `make deploy` sets (git user.email or the login name)."""
    return {
        "environment": platform.environment,
        "layer": layer,
        "deployer": os.environ.get("PLATFORM_DEPLOYER", "unknown"),
    }


def aws_provider(
    platform: PlatformConfig, name: str = "aws", region: str | None = None, layer: str = "unknown"
) -> aws.Provider:
    """Explicit provider: `allowed_account_ids` makes any run against another account fail; with a
    deploy role it (or the drift role, see `assumed_role_arn`) is assumed with the session tags
    (environment, layer, deployer) its trust requires."""
    localstack = platform.localstack_endpoint
    role_arn = assumed_role_arn(platform)
    args = aws.ProviderArgs(
        region=region or platform.region,
        allowed_account_ids=list(platform.allowed_account_ids),
        assume_roles=(
            [
                aws.ProviderAssumeRoleArgs(
                    role_arn=role_arn,
                    session_name=f"pulumi-{platform.environment}-{platform.environment_suffix}",
                    tags=session_tags(platform, layer),
                    transitive_tag_keys=list(SESSION_TAG_KEYS),
                )
            ]
            if role_arn
            else None
        ),
        endpoints=[aws.ProviderEndpointArgs(**{s: localstack for s in _LOCALSTACK_SERVICES})] if localstack else None,
        s3_use_path_style=True if localstack else None,
        skip_credentials_validation=True if localstack else None,
        skip_metadata_api_check=True if localstack else None,
        skip_requesting_account_id=True if localstack else None,
    )
    return aws.Provider(name, args=args)


_ACCOUNTS_ROLE = re.compile(rf":role/(?:{'|'.join(ROLE_TYPES.values())})-")


def without_run_identity(provider_inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A provider's inputs without what depends on who runs the command and why: the `deployer` session
    tag, and whether the deploy or the drift role is assumed. Two runs of the same code (a drift check
    after a deploy, the preview a reviewer confirmed and the deploy) must not differ by them. The state
    keeps `assumeRoles` as JSON text, a program's inputs as a list: both are read."""
    roles = provider_inputs.get("assumeRoles")
    if not roles:
        return dict(provider_inputs)
    as_text = isinstance(roles, str)
    neutral = []
    for role in json.loads(roles) if as_text else roles:
        tags = {k: v for k, v in (role.get("tags") or {}).items() if k != "deployer"}
        arn = _ACCOUNTS_ROLE.sub(":role/<accounts-role>-", str(role.get("roleArn", "")))
        neutral.append({**role, "tags": tags, "roleArn": arn})
    return {**provider_inputs, "assumeRoles": json.dumps(neutral, sort_keys=True) if as_text else neutral}

"""The roles of one environment's account: bootstrapped once per account by an administrator, with the
administrator's own credentials (never a role it creates), before any layer is deployed.

Not a layer: not in shared.contracts.DEPLOY_ORDER, and `make deploy` never runs it (`make accounts`).
Its outputs are what the layers' stack files (platform:deployRoleArn) and the GitHub environments
(AWS_ROLE_ARN) are set to. Who may do what through which role: accounts/README.md.
"""

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from accounts.access_role import AccessRole, AccessRoleArgs
from accounts.boundary import DeployBoundary, DeployBoundaryArgs
from accounts.github_oidc import GithubOidc, GithubOidcArgs
from accounts.policies import (
    CI_DEPLOY_ROLE_TYPE,
    CI_DRIFT_ROLE_TYPE,
    DEPLOYER_ROLE_TYPE,
    DeployTarget,
    StateAccess,
    drift_permissions,
    entry_permissions,
    github_environments,
    github_trust,
    human_trust,
    permissions_policy,
    trust_policy,
)
from accounts.settings import PROJECT, AccountsSettings, deploy_role_problems
from shared.config import load_stack_config
from shared.context import LayerContext
from shared.errors import PlatformConfigError
from shared.providers import DEPLOY_ROLE_TYPE, DRIFT_ROLE_TYPE, aws_provider

# --- configuration: validated before anything exists; the provider never assumes a role it creates ---
config = load_stack_config(PROJECT, AccountsSettings)
settings, platform = config.layer, config.platform
provider = aws_provider(platform.model_copy(update={"deploy_role_arn": None}), layer=PROJECT)
account_id = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
if problems := deploy_role_problems(platform, account_id):
    raise PlatformConfigError(
        f"Invalid stack configuration in {PROJECT}/Pulumi.{pulumi.get_stack()}.yaml: {problems[0]}"
    )
ctx = LayerContext(platform, PROJECT, account_id, provider)
opts = ctx.component_opts()
environment = platform.environment
state = settings.state_backend
target = DeployTarget(
    account_id=account_id,
    environment=environment,
    suffix=platform.environment_suffix,
    regions=(platform.region, *settings.additional_regions),
    state=StateAccess(state.bucket, state.kms_key_arn) if state else None,
)
github = settings.github
people = settings.human_deployers
ci_environments = github_environments(environment)


def access_role(
    name: str,
    role_type: str,
    *,
    description: str,
    policy_description: str,
    trust: dict[str, Any],
    permissions: dict[str, Any],
    aliases: Sequence[pulumi.Alias] = (),
) -> AccessRole:
    args = AccessRoleArgs(
        role_type=role_type,
        description=description,
        policy_description=policy_description,
        trust=trust,
        permissions=permissions,
        max_session_duration_seconds=settings.max_session_duration_seconds,
        boundary_arn=boundary.arn,
    )
    return AccessRole(name, args, ctx, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases)))


# --- components: the boundary, how callers enter, then what the provider assumes from there ---
boundary = DeployBoundary("deploy-boundary", DeployBoundaryArgs(target), ctx, opts)
oidc = GithubOidc("github-oidc", GithubOidcArgs(github.owns_oidc_provider, target.github_oidc_provider), ctx, opts)
ci_deploy = access_role(
    "ci-deploy",
    CI_DEPLOY_ROLE_TYPE,
    description=f"GitHub Actions jobs of {github.repository} in environment {ci_environments['deploy']}: "
    "may assume the deploy role, with session tags",
    policy_description="Assume the deploy role with session tags; the state bucket",
    trust=github_trust(oidc.arn, github.repository, ci_environments["deploy"]),
    permissions=entry_permissions(target, [DEPLOY_ROLE_TYPE], writes_state=True),
)
ci_drift = access_role(
    "ci-drift",
    CI_DRIFT_ROLE_TYPE,
    description=f"GitHub Actions jobs of {github.repository} in environment {ci_environments['drift']}: "
    "may assume the read-only drift role, with session tags",
    policy_description="Assume the drift role with session tags; read the state bucket and take stack locks",
    trust=github_trust(oidc.arn, github.repository, ci_environments["drift"]),
    permissions=entry_permissions(target, [DRIFT_ROLE_TYPE], writes_state=False),
)
deployer = access_role(
    "deployer",
    DEPLOYER_ROLE_TYPE,
    description=f"People deploying {environment} (federated, with MFA or session tags): may assume the deploy "
    "and drift roles, with session tags",
    policy_description="Assume the deploy and drift roles with session tags; the state bucket",
    trust=human_trust(people.iam_principals, people.saml_providers, people.require_mfa, people.session_tags),
    permissions=entry_permissions(target, [DEPLOY_ROLE_TYPE, DRIFT_ROLE_TYPE], writes_state=True),
)
deploy = access_role(
    "deploy-role",
    DEPLOY_ROLE_TYPE,
    description=f"Deploys the payments layers in {environment}: assumed from the CI deploy and deployer roles, "
    "with session tags",
    policy_description=f"What the four layers deploy in {environment}: their services in the allowed regions, "
    "IAM only for their own roles, which carry the boundary",
    trust=trust_policy([ci_deploy.arn, deployer.arn], environment),
    permissions=permissions_policy(target),
    aliases=[pulumi.Alias(type_="payments:accounts:DeployRole")],  # its type before the other roles existed
)
drift = access_role(
    "drift-role",
    DRIFT_ROLE_TYPE,
    description=f"Reads the payments layers in {environment} for drift checks: assumed from the CI drift and "
    "deployer roles, with session tags",
    policy_description="Read the configuration of the layers' resources, never their data",
    trust=trust_policy([ci_drift.arn, deployer.arn], environment),
    permissions=drift_permissions(target),
)

# --- exports: platform:deployRoleArn of the layers' stack files, AWS_ROLE_ARN of the GitHub environments ---
pulumi.export("environment", environment)
pulumi.export("region", platform.region)
pulumi.export("deployRoleArn", deploy.arn)
pulumi.export("deployPolicyArn", deploy.policy.arn)
pulumi.export("permissionsBoundaryArn", boundary.arn)
pulumi.export("driftRoleArn", drift.arn)
pulumi.export("ciDeployRoleArn", ci_deploy.arn)
pulumi.export("ciDriftRoleArn", ci_drift.arn)
pulumi.export("deployerRoleArn", deployer.arn)
pulumi.export("githubOidcProviderArn", oidc.arn)
pulumi.export("githubEnvironments", ci_environments)

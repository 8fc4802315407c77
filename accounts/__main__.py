"""Deploy role of one environment's account: bootstrapped once per account by an administrator, with
the administrator's own credentials (never the role it creates), before any layer is deployed.

Not a layer: not in shared.contracts.DEPLOY_ORDER, and `make deploy` never runs it (`make accounts`).
Its outputs are what the layers' stack files set: platform:deployRoleArn.
"""

import pulumi
import pulumi_aws as aws

from accounts.boundary import DeployBoundary, DeployBoundaryArgs
from accounts.deploy_role import DeployRole, DeployRoleArgs
from accounts.policies import DeployTarget
from accounts.settings import PROJECT, AccountsSettings, deploy_role_name, deploy_role_problems
from shared.config import load_stack_config
from shared.context import LayerContext
from shared.errors import PlatformConfigError
from shared.providers import DEPLOY_BOUNDARY_TYPE, DEPLOY_POLICY_TYPE, aws_provider

# --- configuration: validated before anything exists; the provider never assumes the deploy role ---
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
target = DeployTarget(
    account_id=account_id,
    environment=platform.environment,
    suffix=platform.environment_suffix,
    regions=(platform.region, *settings.additional_regions),
    role_arn=f"arn:aws:iam::{account_id}:role/{deploy_role_name(platform)}",
    policy_arn=f"arn:aws:iam::{account_id}:policy/{ctx.name(DEPLOY_POLICY_TYPE, 'iam')}",
    boundary_arn=f"arn:aws:iam::{account_id}:policy/{ctx.name(DEPLOY_BOUNDARY_TYPE, 'iam')}",
)

# --- components ---
boundary = DeployBoundary("deploy-boundary", DeployBoundaryArgs(target), ctx, opts)
role = DeployRole(
    "deploy-role",
    DeployRoleArgs(
        target=target,
        principal_arn=settings.deployer_principal_arn,
        max_session_duration_seconds=settings.max_session_duration_seconds,
        boundary_arn=boundary.arn,
    ),
    ctx,
    opts,
)

# --- exports: platform:deployRoleArn of every layer's stack file of this environment ---
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
pulumi.export("deployRoleArn", role.arn)
pulumi.export("deployPolicyArn", role.policy.arn)
pulumi.export("permissionsBoundaryArn", boundary.arn)
pulumi.export("deployerPrincipalArn", settings.deployer_principal_arn)

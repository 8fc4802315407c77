"""The role the layers' provider assumes (platform:deployRoleArn), its permissions, and its boundary."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from accounts.policies import DeployTarget, permissions_policy, trust_policy
from shared import iam
from shared.context import LayerContext
from shared.providers import DEPLOY_POLICY_TYPE, DEPLOY_ROLE_TYPE


@dataclass(frozen=True)
class DeployRoleArgs:
    target: DeployTarget
    principal_arn: str
    max_session_duration_seconds: int
    boundary_arn: pulumi.Input[str]


class DeployRole(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.Policy

    def __init__(self, name: str, args: DeployRoleArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:accounts:DeployRole", name, None, opts)
        environment = ctx.platform.environment
        policy_name = ctx.name(DEPLOY_POLICY_TYPE, "iam")
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=policy_name,
            description=f"What the four layers deploy in {environment}: their services in the allowed regions, "
            "IAM only for their own roles, which carry the boundary",
            policy=iam.to_json(permissions_policy(args.target)),
            tags=ctx.tags(policy_name),
            opts=ctx.tagged_child(self),
        )
        role_name = ctx.name(DEPLOY_ROLE_TYPE, "iam")
        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description=f"Deploys the payments layers in {environment}: assumed by one principal, with session tags",
            assume_role_policy=iam.to_json(trust_policy(args.principal_arn, environment)),
            permissions_boundary=args.boundary_arn,
            max_session_duration=args.max_session_duration_seconds,
            tags=ctx.tags(role_name),
            opts=ctx.tagged_child(self),
        )
        # The one policy: no inline policies, no other attachments, so the role is what this file says.
        self.attachment = aws.iam.RolePolicyAttachment(
            f"{name}-policy-attachment", role=self.role.name, policy_arn=self.policy.arn, opts=ctx.child(self)
        )
        self.arn = self.role.arn
        self.register_outputs({"arn": self.role.arn, "policyArn": self.policy.arn})

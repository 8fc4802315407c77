"""One role of the account with its one managed policy, under the permission boundary."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from accounts.policies import policy_type
from shared import iam
from shared.context import LayerContext


@dataclass(frozen=True)
class AccessRoleArgs:
    role_type: str  # one of accounts.policies.ROLE_TYPES: names the role and its policy
    description: str
    policy_description: str
    trust: dict[str, Any]
    permissions: dict[str, Any]
    max_session_duration_seconds: int
    boundary_arn: pulumi.Input[str]


class AccessRole(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.Policy

    def __init__(self, name: str, args: AccessRoleArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:accounts:AccessRole", name, None, opts)
        policy_name = ctx.name(policy_type(args.role_type), "iam")
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=policy_name,
            description=args.policy_description,
            policy=iam.to_json(args.permissions),
            tags=ctx.tags(policy_name),
            opts=ctx.tagged_child(self),
        )
        role_name = ctx.name(args.role_type, "iam")
        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description=args.description,
            assume_role_policy=iam.to_json(args.trust),
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

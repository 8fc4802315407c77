"""The permission boundary: the most the deploy role, and every IAM role it creates, can ever do."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from accounts.policies import DeployTarget, boundary_policy
from shared import iam
from shared.context import LayerContext
from shared.providers import DEPLOY_BOUNDARY_TYPE


@dataclass(frozen=True)
class DeployBoundaryArgs:
    target: DeployTarget


class DeployBoundary(pulumi.ComponentResource):
    policy: aws.iam.Policy

    def __init__(
        self, name: str, args: DeployBoundaryArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:accounts:DeployBoundary", name, None, opts)
        physical = ctx.name(DEPLOY_BOUNDARY_TYPE, "iam")
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=physical,
            description=(
                f"Permission boundary of the {ctx.platform.environment} deploy role and of every role it creates: "
                "layer services in the allowed regions; no unbounded roles, no changes to the deploy role or boundary"
            ),
            policy=iam.to_json(boundary_policy(args.target)),
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.policy.arn})

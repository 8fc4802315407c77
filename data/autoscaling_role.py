"""The Auto Scaling service-linked role the web tier launches with, one per environment.

The data key's policy names it (EBS volumes encrypted with the key), and KMS refuses a key policy
whose principal does not exist yet: so the role is created here, before the key, with a custom
suffix (`AWSServiceRoleForAutoScaling_<env>-<suffix>`). That never collides with the account's
default Auto Scaling role or another environment's, and the application layer's Auto Scaling
groups name it explicitly.
"""

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext


class AutoScalingRole(pulumi.ComponentResource):
    role: aws.iam.ServiceLinkedRole

    def __init__(self, name: str, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:AutoScalingRole", name, None, opts)
        env = f"{ctx.platform.environment}-{ctx.platform.environment_suffix}"
        self.role = aws.iam.ServiceLinkedRole(
            f"{name}-role",
            aws_service_name="autoscaling.amazonaws.com",
            custom_suffix=env,
            description=f"Auto Scaling of the payments web tier ({env}): EBS volumes encrypted with the data key",
            tags=ctx.tags(ctx.name("autoscaling-role")),
            opts=ctx.tagged_child(self),
        )
        self.arn = self.role.arn
        self.register_outputs({"arn": self.role.arn})

"""The payments API behind the ALB (`/api/*`): a Lambda target served by `payments.handlers.alb_api`.

The same handlers, validation, merchant scope and idempotency as the API Gateway door: the entry
point only translates the ALB event, and its function is built like every other payment function
(`PaymentFunction`). The ALB has no API keys, so the function checks the caller's `x-api-key`
itself against keyed hashes of the merchants' keys (`MerchantApiKeys.hashes_secret`).

Order matters: Elastic Load Balancing may invoke the function (`Permission`) before the target is
registered (`TargetGroupAttachment`), or the registration is refused.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext

HEALTH_PATH = "/api/health"
HEALTH_INTERVAL_SECONDS = 60  # longer than the function timeout (at most 29 s)
HEALTH_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class AlbApiArgs:
    function_name: pulumi.Input[str]
    function_arn: pulumi.Input[str]


class AlbApi(pulumi.ComponentResource):
    target_group: aws.lb.TargetGroup

    def __init__(self, name: str, args: AlbApiArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:AlbApi", name, None, opts)
        replacing: dict[str, Any] = {"target_type": "lambda"}  # what forces a replacement (its name hashes it)
        group_name = ctx.namer.replaceable_name("tg-api", "elb", replacing)
        self.target_group = aws.lb.TargetGroup(
            f"{name}-target",
            name=group_name,
            **replacing,
            lambda_multi_value_headers_enabled=False,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=HEALTH_PATH,
                matcher="200",
                interval=HEALTH_INTERVAL_SECONDS,
                timeout=HEALTH_TIMEOUT_SECONDS,
                healthy_threshold=2,
                unhealthy_threshold=2,
            ),
            tags=ctx.tags(group_name),
            opts=ctx.tagged_child(self),
        )
        permission = aws.lambda_.Permission(
            f"{name}-elb-invoke",
            action="lambda:InvokeFunction",
            function=args.function_name,
            principal="elasticloadbalancing.amazonaws.com",
            source_arn=self.target_group.arn,
            opts=ctx.child(self),
        )
        aws.lb.TargetGroupAttachment(
            f"{name}-attachment",
            target_group_arn=self.target_group.arn,
            target_id=args.function_arn,
            opts=ctx.child(self, depends_on=[permission]),
        )
        self.register_outputs({"targetGroupArn": self.target_group.arn})

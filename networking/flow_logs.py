"""VPC flow logs to a CloudWatch log group encrypted with its own customer-managed key."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.roles import service_role


@dataclass(frozen=True)
class FlowLogsArgs:
    vpc_id: pulumi.Input[str]
    retention_days: int


class FlowLogs(pulumi.ComponentResource):
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: FlowLogsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:networking:FlowLogs", name, None, opts)
        group_name = ctx.name("vpc-flow-logs", "logs")
        account, region = ctx.account_id, ctx.region

        key = aws.kms.Key(
            f"{name}-key",
            description=f"VPC flow logs of {ctx.platform.environment}-{ctx.platform.environment_suffix}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=iam.to_json(
                iam.document(
                    iam.key_administration_statement(account), iam.logs_key_statement(region, account, group_name)
                )
            ),
            tags=ctx.tags(ctx.name("kms-flow-logs")),
            opts=ctx.tagged_child(self),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=ctx.namer.check(f"alias/{ctx.name('flow-logs')}", "kms-alias"),
            target_key_id=key.key_id,
            opts=ctx.child(self),
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-group",
            name=group_name,
            retention_in_days=args.retention_days,
            kms_key_id=key.arn,
            tags=ctx.tags(group_name),
            opts=ctx.tagged_child(self),
        )
        role = service_role(
            f"{name}-role",
            role_type="role-vpc-flow-logs",
            service="vpc-flow-logs.amazonaws.com",
            description="VPC flow logs write to their log group (and nothing else)",
            statements=[
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": self.log_group.arn.apply(lambda arn: f"{arn}:*"),
                }
            ],
            ctx=ctx,
            parent=self,
            source_arn=f"arn:aws:ec2:{region}:{account}:vpc-flow-log/*",
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=args.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=ctx.tags(ctx.name("flow-log", "ec2")),
            opts=ctx.tagged_child(self, depends_on=[role.policy]),
        )
        self.register_outputs({"logGroupName": self.log_group.name, "kmsKeyArn": key.arn})

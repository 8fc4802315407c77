"""API Gateway's account settings: the CloudWatch role through which API Gateway writes the access and
execution logs of every REST API in one account and region.

There is one such setting per account and region, so exactly one stack there owns it
(`application:ownsApiGatewayAccount`, checked across the environments' stack files before anything
is declared). Destroying the owner resets the setting (pulumi-aws v7 has no `reset_on_delete`), and
the role goes with it: every API of that account and region then fails to log until another stack
claims ownership. Nothing here is retained on delete (teardown policy). Moving ownership between two
stacks of one account and region is done in order: `pulumi up` the old owner with the flag false
(it resets the setting), then the new owner with the flag true; application/README.md says more.
"""

import pulumi
import pulumi_aws as aws

from application.api import ACCESS_LOG_GROUP_TYPE, EXECUTION_LOG_GROUP_PREFIX
from shared import iam
from shared.context import LayerContext

WRITE_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def log_writer_statements(region: str, account_id: str) -> list[dict[str, object]]:
    """What API Gateway does with the role: write the execution log groups AWS names after each API,
    and the access log groups this platform names `api-access-logs-<env>-<suffix>`, of every
    environment in this account and region (the setting is shared by all of them)."""
    groups = f"arn:aws:logs:{region}:{account_id}:log-group:"
    patterns = (f"{groups}{EXECUTION_LOG_GROUP_PREFIX}*", f"{groups}{ACCESS_LOG_GROUP_TYPE}-*")
    return [
        {
            "Sid": "FindLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": f"{groups}*",
        },
        {
            "Sid": "WriteApiGatewayLogs",
            "Effect": "Allow",
            "Action": list(WRITE_ACTIONS),
            "Resource": [resource for pattern in patterns for resource in (pattern, f"{pattern}:*")],
        },
    ]


class ApiGatewayAccount(pulumi.ComponentResource):
    role: aws.iam.Role
    settings: aws.apigateway.Account

    def __init__(self, name: str, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:ApiGatewayAccount", name, None, opts)
        role_name = ctx.name("role-apigw-cloudwatch", "iam")
        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description="API Gateway writes API logs of this account and region to CloudWatch Logs",
            # No aws:SourceAccount condition (unlike shared.roles.service_role): API Gateway documents none
            # for this role, and a condition it does not send would silently stop every API's logs. Only a
            # principal allowed iam:PassRole on this role can make it an account's CloudWatch role.
            assume_role_policy=iam.to_json(
                iam.document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "apigateway.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                )
            ),
            permissions_boundary=ctx.permissions_boundary,
            tags=ctx.tags(role_name),
            opts=ctx.tagged_child(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self.role.id,
            policy=iam.to_json(iam.document(*log_writer_statements(ctx.region, ctx.account_id))),
            opts=ctx.child(self),
        )
        self.settings = aws.apigateway.Account(
            f"{name}-settings",
            cloudwatch_role_arn=self.role.arn,
            opts=ctx.child(self, depends_on=[policy]),
        )
        self.register_outputs({"cloudwatchRoleArn": self.role.arn})

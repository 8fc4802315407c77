"""The payments API behind the ALB (`/api/*`): a Lambda target served by `payments.handlers.alb_api`.

The same handlers, validation, merchant scope and idempotency as the API Gateway door: the entry
point only translates the ALB event. The ALB has no API keys, so the function checks the caller's
`x-api-key` itself against keyed hashes (HMAC-SHA256) of the merchants' keys, held in the Secrets
Manager secret created here (its value is written by the merchant onboarding runbook, never by
Pulumi: no key or hash is in state).

Order matters: Elastic Load Balancing may invoke the function (`Permission`) before the target is
registered (`TargetGroupAttachment`), or the registration is refused.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.stack_files import REPO

HANDLER = "payments.handlers.alb_api.handler"
ARTIFACT = REPO / "build" / "lambda" / "payments.zip"  # `make package`
HEALTH_PATH = "/api/health"
HEALTH_INTERVAL_SECONDS = 60  # longer than the function timeout (at most 29 s)
HEALTH_TIMEOUT_SECONDS = 30
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


@dataclass(frozen=True)
class AlbApiArgs:
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    table_arns: Sequence[pulumi.Input[str]]
    environment: Mapping[str, pulumi.Input[str]]
    timeout_seconds: int
    memory_mb: int
    log_retention_days: int
    # Secrets of other layers that `environment` names (the Idempotency-Key HMAC key).
    secret_arns: Sequence[pulumi.Input[str]] = ()
    # Further least-privilege statements for what `environment` names (the payment queue).
    extra_statements: Sequence[dict[str, Any]] = ()


class AlbApi(pulumi.ComponentResource):
    function: aws.lambda_.Function
    target_group: aws.lb.TargetGroup
    api_keys_secret: aws.secretsmanager.Secret

    def __init__(self, name: str, args: AlbApiArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:AlbApi", name, None, opts)
        function_name = ctx.name("fn-alb-api", "lambda")
        self.api_keys_secret = aws.secretsmanager.Secret(
            f"{name}-api-keys",
            name=ctx.namer.check(f"{ctx.name('alb-api-keys')}", "secrets"),
            description="HMAC-SHA256 of each merchant's API key and its API key id (written by onboarding)",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=0,  # clean teardown (docs/design.md)
            tags=ctx.tags(ctx.name("alb-api-keys")),
            opts=ctx.tagged_child(self),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=ctx.tags(),
            opts=ctx.tagged_child(self),
        )
        role, grants = self._role(name, ctx, args, log_group)
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Payments API behind the ALB (/api/*): the API Gateway handlers, x-api-key checked here",
            runtime=aws.lambda_.Runtime.PYTHON3D11,
            architectures=["arm64"],
            handler=HANDLER,
            code=pulumi.FileArchive(str(ARTIFACT)),
            role=role.arn,
            timeout=args.timeout_seconds,
            memory_size=args.memory_mb,
            kms_key_arn=args.kms_key_arn,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.subnet_ids, security_group_ids=[args.security_group_id]
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={**args.environment, "ALB_API_KEYS_SECRET_ARN": self.api_keys_secret.arn}
            ),
            tags=ctx.tags(function_name),
            opts=ctx.tagged_child(self, depends_on=[log_group, *grants]),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-target",
            name_prefix="api-",
            target_type="lambda",
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
            tags=ctx.tags(ctx.name("tg-api", "elb")),
            opts=ctx.tagged_child(self),
        )
        permission = aws.lambda_.Permission(
            f"{name}-elb-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="elasticloadbalancing.amazonaws.com",
            source_arn=self.target_group.arn,
            opts=ctx.child(self),
        )
        aws.lb.TargetGroupAttachment(
            f"{name}-attachment",
            target_group_arn=self.target_group.arn,
            target_id=self.function.arn,
            opts=ctx.child(self, depends_on=[permission]),
        )
        self.register_outputs({"functionName": self.function.name, "targetGroupArn": self.target_group.arn})

    def _role(
        self, name: str, ctx: LayerContext, args: AlbApiArgs, log_group: aws.cloudwatch.LogGroup
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        physical = ctx.name("role-alb-api", "iam")
        role = aws.iam.Role(
            f"{name}-role",
            name=physical,
            description="ALB API function: its tables, its API-key secret, its key, its logs and traces",
            assume_role_policy=iam.to_json(
                iam.document(
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                )
            ),
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        statements: list[dict[str, Any]] = [
            {
                "Sid": "PaymentTables",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                "Resource": list(args.table_arns),
            },
            {
                "Sid": "MerchantApiKeyHashes",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": [self.api_keys_secret.arn, *args.secret_arns],
            },
            {"Sid": "DataKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": args.kms_key_arn},
            {
                "Sid": "OwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": log_group.arn.apply(lambda arn: f"{arn}:*"),
            },
            {
                "Sid": "TracesHaveNoResourceLevelPermissions",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            },
            *args.extra_statements,
        ]
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy", role=role.id, policy=iam.to_json(iam.document(*statements)), opts=ctx.child(self)
        )
        vpc = aws.iam.RolePolicyAttachment(
            f"{name}-role-vpc", role=role.name, policy_arn=VPC_ACCESS_POLICY, opts=ctx.child(self)
        )
        return role, [policy, vpc]

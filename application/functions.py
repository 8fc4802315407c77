"""One payment function: its log group, its role, the function, and optionally its queue trigger.

Every function runs the same artifact on python3.11 / arm64 in the private subnets with the
lambda security group, traces with X-Ray (Active), writes JSON logs to a log group created first
(encrypted with the data key, platform retention; otherwise Lambda would create it unencrypted
and never expiring), keeps its environment variables encrypted with the data key, and sends
failed asynchronous invocations to a dead-letter queue. Lambda checks at create time that the
role may send to that queue, so the function waits for its role policy.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from application.artifact import Artifact
from application.permissions import common_statements
from shared.context import LayerContext
from shared.roles import service_role

RUNTIME = "python3.11"
ARCHITECTURES = ["arm64"]  # a list: a plain "arm64" string passes the mocks but not AWS


def function_name(ctx: LayerContext, function: str) -> str:
    return ctx.name(function, "lambda")


def role_name(ctx: LayerContext, function: str) -> str:
    return ctx.name(f"{function}-role", "iam")


def role_arn(ctx: LayerContext, function: str) -> str:
    """The ARN the function's role will have: resource policies written before it exists use it."""
    return f"arn:aws:iam::{ctx.account_id}:role/{role_name(ctx, function)}"


@dataclass(frozen=True)
class QueueTrigger:
    queue_arn: pulumi.Input[str]
    batch_size: int
    batching_window_seconds: int
    maximum_concurrency: int
    after: Sequence[pulumi.Resource] = ()  # e.g. the ledger migration: no message before the schema


@dataclass(frozen=True)
class PaymentFunctionArgs:
    function: str  # e.g. "process-payment": the physical name's resource type
    handler: str
    description: str
    artifact: Artifact
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    variables: Mapping[str, pulumi.Input[str]]
    statements: Sequence[dict[str, Any]]  # besides the common ones (logs, DLQ, key, ENIs, X-Ray)
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    dead_letter_arn: pulumi.Input[str]
    log_retention_days: int
    log_level: str
    trigger: QueueTrigger | None = None
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


class PaymentFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    log_group: aws.cloudwatch.LogGroup
    event_source_mapping: aws.lambda_.EventSourceMapping | None

    def __init__(
        self, name: str, args: PaymentFunctionArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:PaymentFunction", name, None, opts)
        physical = function_name(ctx, args.function)
        log_group_name = ctx.namer.check(f"/aws/lambda/{physical}", "logs")
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            kms_key_id=args.kms_key_arn,
            retention_in_days=args.log_retention_days,
            tags=ctx.tags(log_group_name),
            opts=ctx.tagged_child(self),
        )
        role = service_role(
            f"{name}-role",
            role_type=f"{args.function}-role",
            service="lambda.amazonaws.com",
            description=f"Execution role of {physical}",
            statements=[
                *common_statements(self.log_group.arn, args.dead_letter_arn, args.kms_key_arn),
                *args.statements,
            ],
            ctx=ctx,
            parent=self,
        )
        self.role = role.role
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=physical,
            description=args.description,
            role=role.arn,
            runtime=RUNTIME,
            architectures=ARCHITECTURES,
            handler=args.handler,
            code=args.artifact.archive,
            source_code_hash=args.artifact.sha256_base64,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            reserved_concurrent_executions=args.reserved_concurrency,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.subnet_ids, security_group_ids=[args.security_group_id]
            ),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level=_lambda_log_level(args.log_level),
                system_log_level="INFO",
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.variables)),
            kms_key_arn=args.kms_key_arn,
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=args.dead_letter_arn),
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self, depends_on=[self.log_group, role.policy, *args.depends_on]),
        )
        self.event_source_mapping = None
        if args.trigger is not None:
            trigger = args.trigger
            self.event_source_mapping = aws.lambda_.EventSourceMapping(
                f"{name}-queue-trigger",
                event_source_arn=trigger.queue_arn,
                function_name=self.function.name,
                batch_size=trigger.batch_size,
                maximum_batching_window_in_seconds=trigger.batching_window_seconds,
                function_response_types=["ReportBatchItemFailures"],
                scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                    maximum_concurrency=trigger.maximum_concurrency
                ),
                tags=ctx.tags(f"{physical}-queue-trigger"),
                opts=ctx.tagged_child(self, depends_on=[role.policy, *trigger.after]),
            )
        self.name = self.function.name
        self.arn = self.function.arn
        self.register_outputs({"functionArn": self.function.arn, "logGroupName": self.log_group.name})


def _lambda_log_level(level: str) -> str:
    """Powertools' level names -> Lambda's application log levels (WARNING is WARN there)."""
    return {"WARNING": "WARN"}.get(level, level)

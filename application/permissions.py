"""What each function's role may do: IAM statements naming exact resource ARNs.

Pure functions of ARNs (plain strings or Outputs), so tests read them without a deployment. Every
statement names the one table, queue, topic, bucket prefix, secret or key it is about; the only
`"Resource": "*"` statements are the actions in `RESOURCELESS_ACTIONS`, which AWS does not let an
IAM policy scope to a resource.
"""

from typing import Any

import pulumi

from payments.audit import AUDIT_PREFIX

Statement = dict[str, Any]

# Actions without resource-level permissions: the explicit, complete allow-list of `"Resource": "*"`.
RESOURCELESS_ACTIONS: dict[str, tuple[str, ...]] = {
    # A function in a VPC: Lambda creates, describes and deletes the ENIs in the function's subnets
    # under the execution role (the actions of the AWSLambdaENIManagementAccess managed policy).
    "VpcNetworkInterfaces": (
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ),
    # Active tracing: segments and telemetry go to X-Ray, and the SDK polls the sampling rules
    # (the actions of AWSXRayDaemonWriteAccess).
    "XRayTracing": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    ),
    # No cloudwatch:PutMetricData: the handlers publish metrics in the embedded metric format on
    # their log stream (Powertools Metrics), which CloudWatch Logs turns into metrics.
}


def _allow(sid: str, actions: list[str], resources: list[pulumi.Input[str]] | pulumi.Input[str]) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def resourceless_statements() -> list[Statement]:
    return [_allow(sid, list(actions), "*") for sid, actions in RESOURCELESS_ACTIONS.items()]


def common_statements(
    log_group_arn: pulumi.Input[str], dead_letter_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str]
) -> list[Statement]:
    """What every function needs: its own log group, its async dead-letter queue, the data key
    (environment variables, encrypted queues, topic and objects), the ENIs and X-Ray."""
    streams = pulumi.Output.from_input(log_group_arn).apply(lambda arn: f"{arn}:*")
    return [
        _allow("WriteOwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents"], [streams]),
        _allow("SendAsyncFailuresToDeadLetterQueue", ["sqs:SendMessage"], [dead_letter_arn]),
        _allow("UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [kms_key_arn]),
        *resourceless_statements(),
    ]


def process_payment_statements(
    transactions_table_arn: pulumi.Input[str],
    idempotency_table_arn: pulumi.Input[str],
    payment_queue_arn: pulumi.Input[str],
    key_hash_secret_arn: pulumi.Input[str],
) -> list[Statement]:
    return [
        _allow("ReadKeyHashSecret", ["secretsmanager:GetSecretValue"], [key_hash_secret_arn]),
        _allow(
            "RecordTransactions",
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [transactions_table_arn],
        ),
        _allow(
            "IdempotencyRecords",
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [idempotency_table_arn],
        ),
        _allow("EnqueuePayments", ["sqs:SendMessage"], [payment_queue_arn]),
    ]


def verify_payment_statements(transactions_table_arn: pulumi.Input[str]) -> list[Statement]:
    return [_allow("ReadTransactions", ["dynamodb:GetItem"], [transactions_table_arn])]


def settlement_worker_statements(
    payment_queue_arn: pulumi.Input[str],
    transactions_table_arn: pulumi.Input[str],
    audit_bucket_arn: pulumi.Input[str],
    notification_topic_arn: pulumi.Input[str],
    ledger_writer_secret_arn: pulumi.Input[str],
) -> list[Statement]:
    audit_objects = pulumi.Output.from_input(audit_bucket_arn).apply(lambda arn: f"{arn}/{AUDIT_PREFIX}/*")
    return [
        _allow(
            "ConsumePayments",
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
            [payment_queue_arn],
        ),
        _allow("SettleTransactions", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [transactions_table_arn]),
        _allow("WriteAuditRecords", ["s3:PutObject"], [audit_objects]),
        _allow("PublishSettlements", ["sns:Publish"], [notification_topic_arn]),
        _allow("ReadLedgerWriterSecret", ["secretsmanager:GetSecretValue"], [ledger_writer_secret_arn]),
    ]


def migrate_ledger_statements(
    database_secret_arn: pulumi.Input[str], ledger_writer_secret_arn: pulumi.Input[str]
) -> list[Statement]:
    """The owner's secret to migrate as the owner; the writer's to set the writer role's password."""
    return [
        _allow("ReadLedgerSecrets", ["secretsmanager:GetSecretValue"], [database_secret_arn, ledger_writer_secret_arn])
    ]

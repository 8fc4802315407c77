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
    # Active tracing: Lambda sends the function's segments and telemetry to X-Ray with the role. No
    # sampling actions: Lambda samples, and the functions carry no tracing SDK that would poll the rules.
    "XRayTracing": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    ),
    # No cloudwatch:PutMetricData: the handlers publish metrics in the embedded metric format on
    # their log stream (Powertools Metrics), which CloudWatch Logs turns into metrics.
}

# Actions a role needs although no handler calls them: AWS calls them with the role's credentials.
# tests/application/test_least_privilege.py adds them to the actions the handlers are recorded
# calling (a botocore hook), and requires each role to grant exactly the sum.
#
# Lambda itself, because of how the function is configured in the plan:
LAMBDA_SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    # `loggingConfig.logGroup`: Lambda writes the function's log streams with the role.
    "logGroup": ("logs:CreateLogStream", "logs:PutLogEvents"),
    # `deadLetterConfig.targetArn`: Lambda sends failed asynchronous events there with the role (and
    # checks at create time that it may).
    "deadLetterTarget": ("sqs:SendMessage",),
    # `kmsKeyArn`: the environment variables are decrypted with the data key for the function.
    "environmentKey": ("kms:Decrypt",),
}
# (The SQS event source mapping's ReceiveMessage, GetQueueAttributes and DeleteMessage are recorded
# too: testkit's stand-in of the mapping makes them with a client of the worker's.)
#
# KMS, because the resource a recorded action touches is encrypted with a customer-managed key: the
# service calls KMS with the caller's credentials. Recorded action -> KMS actions on that resource's
# key (the key the plan gives the resource, or the one the request names, e.g. S3 SSEKMSKeyId).
IMPLIED_KMS_ACTIONS: dict[str, tuple[str, ...]] = {
    # Secrets Manager decrypts the secret value for the caller.
    "secretsmanager:GetSecretValue": ("kms:Decrypt",),
    # SQS SSE-KMS: a producer needs both (SQS generates and caches data keys), a consumer Decrypt.
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:ReceiveMessage": ("kms:Decrypt",),
    # SNS SSE-KMS: a publisher needs both.
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
    # S3 SSE-KMS, single-part uploads (Decrypt only for multipart uploads, which no handler makes).
    "s3:PutObject": ("kms:GenerateDataKey",),
    # DynamoDB: none. DynamoDB uses a table's customer-managed key through the grant it holds on it
    # (created with the table); item reads and writes need no KMS permission of the caller.
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
            ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            [transactions_table_arn],
        ),
        _allow(
            "IdempotencyRecords",
            # No GetItem: a conditional put that fails returns the existing record
            # (ReturnValuesOnConditionCheckFailure), so Powertools never reads it separately.
            ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [idempotency_table_arn],
        ),
        _allow("EnqueuePayments", ["sqs:SendMessage"], [payment_queue_arn]),
    ]


def alb_api_statements(
    process_payment: list[Statement], verify_payment: list[Statement], merchant_key_hashes_arn: pulumi.Input[str]
) -> list[Statement]:
    """The ALB door runs process-payment and verify-payment and checks `x-api-key` against the
    merchants' keyed hashes."""
    return [
        *process_payment,
        *verify_payment,
        _allow("ReadMerchantKeyHashes", ["secretsmanager:GetSecretValue"], [merchant_key_hashes_arn]),
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
            # What the event source mapping calls with the role; a failed message becomes visible
            # again when its visibility timeout ends (no ChangeMessageVisibility).
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            [payment_queue_arn],
        ),
        # Claims and SETTLED are conditional updates returning the item: no GetItem.
        _allow("SettleTransactions", ["dynamodb:UpdateItem"], [transactions_table_arn]),
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

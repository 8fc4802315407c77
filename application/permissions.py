"""What each function's role may do: IAM statements naming exact resource ARNs.

What every function needs is here (`common_statements`); what each one needs besides is its row's
grants in `shared/functions.py`, turned into statements on the ARNs this layer supplies by name.
Pure functions of ARNs (plain strings or Outputs), so tests read them without a deployment. Every
statement names the one table, queue, topic, bucket prefix, secret, parameter or key it is about; the only
`"Resource": "*"` statements are the actions in `RESOURCELESS_ACTIONS`, which AWS does not let an
IAM policy scope to a resource.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from payments.audit import AUDIT_PREFIX
from shared.errors import ContractError
from shared.functions import FunctionSpec

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
    # Secrets Manager decrypts the secret value for the caller; so does Parameter Store a SecureString.
    "secretsmanager:GetSecretValue": ("kms:Decrypt",),
    "ssm:GetParameter": ("kms:Decrypt",),
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


class GrantsError(ContractError):
    """The layer's resources and the functions' declared grants disagree."""


def function_statements(
    functions: Sequence[FunctionSpec], resources: Mapping[str, pulumi.Input[str]]
) -> dict[str, list[Statement]]:
    """function -> the statements of its grants (shared/functions.py), on the resources the layer
    supplies by name. The plan fails, naming every problem at once, when a grant names a resource
    nobody supplies or a supplied resource is named by no grant (an ARN nobody uses, or a misspelling)."""
    named = {name for function in functions for grant in function.grants for name in grant.resources}
    problems = [
        f"{function.name} ({grant.sid}) names {name!r}, which the application layer does not supply"
        for function in functions
        for grant in function.grants
        for name in grant.resources
        if name not in resources
    ]
    unused = sorted(set(resources) - named)
    if unused:
        problems.append(
            f"the application layer supplies {', '.join(unused)}, which no grant in shared/functions.py names"
        )
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise GrantsError(f"function grants ({len(problems)} problem(s)):\n{listing}")
    return {
        function.name: [
            _allow(grant.sid, list(grant.actions), [resources[name] for name in grant.resources])
            for grant in function.grants
        ]
        for function in functions
    }


def audit_records(audit_bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """The audit bucket's objects the settlement worker writes (payments.audit.AUDIT_PREFIX)."""
    return pulumi.Output.from_input(audit_bucket_arn).apply(lambda arn: f"{arn}/{AUDIT_PREFIX}/*")

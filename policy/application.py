"""Lambda, SQS and SNS as the application layer will declare them; until it lands they find nothing."""

from pulumi_policy import ResourceValidationArgs

from policy.rules import for_types, is_set, items, resource_policy, value

FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"


def _tracing(args: ResourceValidationArgs) -> str | None:
    mode = value(args.props, "tracingConfig", "mode")
    return None if mode == "Active" else f"X-Ray tracing is {mode!r}: set tracingConfig.mode to Active"


def _environment_cmk(args: ResourceValidationArgs) -> str | None:
    if is_set(args.props, "kmsKeyArn"):
        return None
    return "environment variables use the AWS-managed key: set kmsKeyArn to the platform CMK"


def _in_vpc(args: ResourceValidationArgs) -> str | None:
    missing = [p for p in ("subnetIds", "securityGroupIds") if not items(value(args.props, "vpcConfig", p))]
    if missing:
        return f"the function runs outside the VPC: set vpcConfig {' and '.join(missing)} (private subnets)"
    return None


def _messages_cmk(args: ResourceValidationArgs) -> str | None:
    if is_set(args.props, "kmsMasterKeyId"):
        return None
    return "messages are not encrypted with the CMK: set kmsMasterKeyId to the platform key"


POLICIES = (
    resource_policy(
        "lambda-function-xray-active (CKV_AWS_50)",
        "Lambda functions trace with X-Ray in Active mode.",
        {FUNCTION: _tracing},
    ),
    resource_policy(
        "lambda-environment-encrypted-with-cmk (CKV_AWS_173)",
        "Lambda environment variables are encrypted with the customer-managed key.",
        {FUNCTION: _environment_cmk},
    ),
    resource_policy(
        "lambda-inside-vpc (Lambda.3)",
        "Lambda functions run in the VPC's private subnets.",
        {FUNCTION: _in_vpc},
    ),
    resource_policy(
        "sqs-sns-encrypted-with-cmk (SQS.1, SNS.1)",
        "SQS queues and SNS topics encrypt messages with the customer-managed key.",
        for_types((QUEUE, TOPIC), _messages_cmk),
    ),
)

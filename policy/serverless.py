"""Lambda functions, SQS queues and SNS topics: the serverless payment path.

Functions run the one supported runtime and architecture, trace with X-Ray, stay in the VPC, keep
their environment under the CMK, have a dead-letter target and a concurrency reservation. Queues
and topics encrypt with the CMK, and every queue either redrives to a dead-letter queue or is one.
"""

import json
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.rules import for_types, is_set, items, known, of_type, resource_policy, stack_policy, value

FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"

RUNTIME = "python3.11"
ARCHITECTURE = "arm64"


def _runtime(args: ResourceValidationArgs) -> str | None:
    runtime = value(args.props, "runtime")
    if runtime == RUNTIME:
        return None
    return f"runtime is {runtime!r}: set runtime to {RUNTIME!r}, the runtime the payment code is built and tested for"


def _architecture(args: ResourceValidationArgs) -> str | None:
    architectures = value(args.props, "architectures")
    shown = architectures if isinstance(architectures, str) else items(architectures)
    if shown == [ARCHITECTURE]:
        return None
    return (
        f"architectures is {json.dumps(shown)}: set architectures=[{json.dumps(ARCHITECTURE)}] (a list): "
        "the artifact carries arm64 wheels only"
    )


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


def _dead_letter(args: ResourceValidationArgs) -> str | None:
    if is_set(args.props, "deadLetterConfig", "targetArn"):
        return None
    return "failed asynchronous invocations are dropped: set deadLetterConfig.targetArn to a dead-letter queue"


def _reserved_concurrency(args: ResourceValidationArgs) -> str | None:
    reserved = value(args.props, "reservedConcurrentExecutions")
    if reserved is None or reserved < 1:
        shown = "unset" if reserved is None else f"{reserved:g}"
        return (
            f"reservedConcurrentExecutions is {shown}: reserve at least 1 (from stack config), so one function "
            "cannot starve the others of the account's concurrency (-1 is unreserved, 0 disables the function)"
        )
    return None


def _messages_cmk(args: ResourceValidationArgs) -> str | None:
    if is_set(args.props, "kmsMasterKeyId"):
        return None
    return "messages are not encrypted with the CMK: set kmsMasterKeyId to the platform key"


def _dead_letter_targets(args: StackValidationArgs) -> list[str]:
    """Every queue's redrive policy and every function's dead-letter target (unknown ones skipped)."""
    targets = [known(queue.props, "redrivePolicy") for queue in of_type(args, QUEUE)]
    targets += [known(function.props, "deadLetterConfig", "targetArn") for function in of_type(args, FUNCTION)]
    return [t for t in targets if isinstance(t, str) and t]


def _queues_redrive(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    targets = _dead_letter_targets(args)
    for queue in of_type(args, QUEUE):
        try:
            if is_set(queue.props, "redrivePolicy"):
                continue
            arn = value(queue.props, "arn")
        except UnknownValueError:
            continue  # decided at deploy time, checked again by `pulumi up`
        if arn and any(str(arn) in target for target in targets):
            continue  # it is a dead-letter queue
        yield (
            queue.urn,
            f"{queue.name} has no redrivePolicy and is no queue's or function's dead-letter queue: a message that "
            "keeps failing is retried until it expires; set redrivePolicy with deadLetterTargetArn and maxReceiveCount",
        )


POLICIES = (
    resource_policy(
        "lambda-runtime-python311",
        "Lambda functions run python3.11, the runtime the payment code is built and tested for.",
        {FUNCTION: _runtime},
    ),
    resource_policy(
        "lambda-architecture-arm64",
        "Lambda functions run on arm64 (Graviton), the architecture of the artifact's wheels.",
        {FUNCTION: _architecture},
    ),
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
        "lambda-dead-letter-configured (CKV_AWS_116)",
        "Lambda functions send failed asynchronous invocations to a dead-letter target.",
        {FUNCTION: _dead_letter},
    ),
    resource_policy(
        "lambda-reserved-concurrency-set (CKV_AWS_115)",
        "Lambda functions reserve concurrency (at least 1).",
        {FUNCTION: _reserved_concurrency},
    ),
    resource_policy(
        "sqs-sns-encrypted-with-cmk (SQS.1, SNS.1)",
        "SQS queues and SNS topics encrypt messages with the customer-managed key.",
        for_types((QUEUE, TOPIC), _messages_cmk),
    ),
    stack_policy(
        "sqs-queue-has-dead-letter-queue",
        "Every SQS queue redrives to a dead-letter queue, or is the dead-letter queue of a queue or function.",
        _queues_redrive,
    ),
)

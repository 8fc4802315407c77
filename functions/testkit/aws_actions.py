"""Which AWS actions code really calls: a botocore event hook, never a list written by hand.

`recording_aws_calls()` registers a `provide-client-params` handler on boto3's default session,
the session `payments.aws_clients` (and every Powertools utility the handlers hand those clients
to) creates its clients from. botocore copies the session's event emitter into each client it
creates, so exactly the clients created inside the block report their calls: clients a test made
before (to create resources, read queues, look at results) stay out of the record.

Each call is turned into the IAM action it needs (service signing name + operation, with the
few operations whose IAM action has another name mapped explicitly, e.g. SNS `PublishBatch`
needs `sns:Publish`, and DynamoDB `TransactWriteItems` the action of each of its entries) and the
resource the request names (table name, queue URL, topic or secret ARN, parameter name, bucket/key, the
SSE key the request asks for).

IAM database authentication makes no request: the client signs a token locally
(`generate_db_auth_token`), and the proxy authorizes it as `rds-db:connect` on that database user
there. Its `before-sign.rds.connect` event is recorded as that action, on the host it was signed
for, for the user it names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3

# Operations whose IAM action is not `<service>:<operation>` (IAM documents each: the batch forms
# are authorized as their single-entry action).
IAM_ACTION_OF_OPERATION: dict[tuple[str, str], str] = {
    ("sns", "PublishBatch"): "sns:Publish",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
}
# TransactWriteItems is authorized entry by entry, as the single-item action of each (DynamoDB
# documents "Using IAM with DynamoDB transactions"): recorded as one call per entry.
TRANSACT_ENTRY_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Operations authorized as several actions depending on their content: refuse to guess (the recorder
# reads TransactWriteItems' entries instead).
AMBIGUOUS_OPERATIONS = frozenset(
    {
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "TransactWriteItems"),
        ("dynamodb", "TransactGetItems"),
        ("dynamodb", "ExecuteStatement"),
        ("s3", "CopyObject"),
    }
)
# The request parameter that names the resource, per service.
RESOURCE_PARAMETER = {
    "dynamodb": "TableName",
    "sqs": "QueueUrl",
    "sns": "TopicArn",
    "s3": "Bucket",
    "secretsmanager": "SecretId",
    "ssm": "Name",
    "kms": "KeyId",
}


@dataclass(frozen=True)
class AwsCall:
    action: str  # the IAM action, e.g. "sns:Publish"
    operation: str  # the API operation, e.g. "PublishBatch"
    resource: str  # what the request names: table name, queue URL, topic or secret ARN, bucket name, database host
    path: str | None = None  # what is reached inside it: S3 object key, database user
    sse_kms_key: str | None = None  # the KMS key the request asks the service to encrypt with (S3 SSE-KMS)


class UnmappedOperationError(AssertionError):
    """An operation whose IAM action cannot be told from its name: map it before relying on the record."""


def iam_action(service: str, operation: str) -> str:
    if (service, operation) in AMBIGUOUS_OPERATIONS:
        raise UnmappedOperationError(f"{service}:{operation} is authorized by several IAM actions: map it explicitly")
    return IAM_ACTION_OF_OPERATION.get((service, operation), f"{service}:{operation}")


class AwsCallRecorder:
    """The calls of the clients created while it is active (thread-safe: the worker calls from a pool)."""

    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
        self.active = True
        self._lock = threading.Lock()

    def _on_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.active:
            return
        service, operation = str(model.service_model.signing_name), str(model.name)
        if (service, operation) == ("dynamodb", "TransactWriteItems"):
            calls = [
                AwsCall(action=TRANSACT_ENTRY_ACTIONS[kind], operation=operation, resource=str(entry["TableName"]))
                for item in params["TransactItems"]
                for kind, entry in item.items()
            ]
        else:
            parameter = RESOURCE_PARAMETER.get(service)
            calls = [
                AwsCall(
                    action=iam_action(service, operation),
                    operation=operation,
                    resource=str(params.get(parameter, "*")) if parameter else "*",
                    path=str(params["Key"]) if service == "s3" and "Key" in params else None,
                    sse_kms_key=str(params["SSEKMSKeyId"]) if "SSEKMSKeyId" in params else None,
                )
            ]
        with self._lock:
            self.calls.extend(calls)

    def _on_db_auth_token(self, request: Any, **_: Any) -> None:
        if not self.active:
            return
        call = AwsCall(
            action="rds-db:connect",
            operation="connect",
            resource=str(urlsplit(request.url).hostname),
            path=str(request.data["DBUser"]),
        )
        with self._lock:
            self.calls.append(call)

    def actions(self) -> set[str]:
        return {call.action for call in self.calls}


def _default_session() -> boto3.session.Session:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION


@contextmanager
def recording_aws_calls() -> Iterator[AwsCallRecorder]:
    """Record the AWS calls of every boto3 client created (from the default session) inside the block."""
    recorder = AwsCallRecorder()
    events = _default_session().events
    unique_id = f"aws-call-recorder-{id(recorder)}"
    events.register("provide-client-params", recorder._on_call, unique_id=unique_id)
    events.register("before-sign.rds.connect", recorder._on_db_auth_token, unique_id=f"{unique_id}-token")
    try:
        yield recorder
    finally:
        recorder.active = False  # clients created inside keep a copy of the handlers: silence them
        events.unregister("provide-client-params", unique_id=unique_id)
        events.unregister("before-sign.rds.connect", unique_id=f"{unique_id}-token")

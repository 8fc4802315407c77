"""Stand-ins for what Lambda, API Gateway and the SQS event source mapping do around the handlers."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from testkit.aws_support import ACCOUNT_ID, MERCHANT_API_KEY_ID, REGION


class FakeLambdaContext(LambdaContext):
    """The context Lambda passes, for handlers called directly: Powertools' LambdaContext with its values set."""

    def __init__(self, function_name: str = "payments-test") -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._memory_limit_in_mb = 512
        self._aws_request_id = str(uuid.uuid4())
        self._invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:payments-test"
        self._log_group_name = "/aws/lambda/payments-test"
        self._log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def api_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    base64_encoded: bool = False,
    api_key_id: str | None = MERCHANT_API_KEY_ID,
) -> dict[str, Any]:
    """An API Gateway REST API proxy-integration event (`api_key_id`: the key API Gateway accepted)."""
    identity: dict[str, Any] = {"sourceIp": "127.0.0.1", "apiKeyId": api_key_id}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers or {}),
        "multiValueHeaders": {name: [value] for name, value in (headers or {}).items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "testapi",
            "httpMethod": method,
            "path": f"/test{path}",
            "requestId": str(uuid.uuid4()),
            "resourcePath": path,
            "stage": "test",
            "identity": identity,
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def payment_event(
    body: Mapping[str, Any] | str | None,
    key: str | None = "key-0001-test",
    *,
    api_key_id: str | None = MERCHANT_API_KEY_ID,
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    headers = {} if content_type is None else {"Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return api_event("POST", "/process-payment", body=text, headers=headers, api_key_id=api_key_id)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda event for messages received from SQS (with `MessageAttributeNames=["All"]`), as the
    event source mapping builds it."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 (SQS's own checksum)
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


@dataclass(frozen=True)
class Delivery:
    received: int
    failed_message_ids: list[str]
    handler_raised: bool


def deliver_once(sqs: Any, queue_url: str, handler: Callable[[dict[str, Any], Any], Any]) -> Delivery:
    """One poll of the event source mapping (ReportBatchItemFailures on): receive up to 10, invoke, delete
    what succeeded. If the handler raises, nothing is deleted, as on Lambda."""
    received = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])
    if not received:
        return Delivery(0, [], False)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        response = handler(sqs_event(received, queue_arn), FakeLambdaContext())
    except Exception:
        return Delivery(len(received), [message["MessageId"] for message in received], True)
    failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    for message in received:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return Delivery(len(received), failed, False)


def queue_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def alb_event(
    method: str,
    path: str,
    *,
    api_key: str | None,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An ALB Lambda-target event (multi-value headers off): lowercase headers, raw query values."""
    sent = {"host": "alb.example", "x-forwarded-for": "198.51.100.7", "x-amzn-trace-id": "Root=1-abc-def"}
    sent |= {name.lower(): value for name, value in (headers or {}).items()}
    if api_key is not None:
        sent["x-api-key"] = api_key
    return {
        "requestContext": {
            "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/1"}
        },
        "httpMethod": method,
        "path": path,
        "queryStringParameters": dict(query or {}),
        "headers": sent,
        "body": body or "",
        "isBase64Encoded": False,
    }

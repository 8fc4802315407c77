"""Shared values and assertions for the process-payment tests."""

from __future__ import annotations

from typing import Any

from payments.handlers import process_payment
from testkit.aws_support import IDEMPOTENCY_TABLE_NAME, TRANSACTIONS_TABLE_NAME, AwsResources, table_items
from testkit.lambda_support import FakeLambdaContext, body_of, payment_event, queue_depth

VALID_BODY: dict[str, Any] = {
    "amount_minor": 1250,
    "currency": "USD",
    "merchant_id": "merchant-001",
    "payment_method_token": "pm_tok_abcdefgh",
}


def submit(
    body: Any = None, key: str | None = "key-0001-test", *, event: dict[str, Any] | None = None
) -> dict[str, Any]:
    request = event if event is not None else payment_event(VALID_BODY if body is None else body, key)
    response: dict[str, Any] = process_payment.handler(request, FakeLambdaContext())
    return response


def error_code(response: dict[str, Any]) -> str:
    body = body_of(response)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])


def assert_nothing_written(aws: AwsResources) -> None:
    assert table_items(aws, TRANSACTIONS_TABLE_NAME) == []
    assert table_items(aws, IDEMPOTENCY_TABLE_NAME) == []
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 0

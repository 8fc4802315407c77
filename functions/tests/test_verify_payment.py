"""GET /verify-payment: status by id, 404 for unknown ids, 400 for invalid ones."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from payment_support import error_code, submit

from payments.handlers import verify_payment
from testkit.aws_support import AwsResources
from testkit.lambda_support import FakeLambdaContext, api_event, body_of


def _verify(query: dict[str, str] | None) -> dict[str, Any]:
    response: dict[str, Any] = verify_payment.handler(
        api_event("GET", "/verify-payment", query=query), FakeLambdaContext()
    )
    return response


def test_returns_status_amount_currency_and_timestamps(aws: AwsResources, env: dict[str, str]) -> None:
    transaction_id = body_of(submit())["transaction_id"]

    response = _verify({"transaction_id": transaction_id})

    assert response["statusCode"] == 200
    body = body_of(response)
    assert body["transaction_id"] == transaction_id
    assert body["status"] == "PENDING"
    assert body["amount_minor"] == 1250
    assert body["currency"] == "USD"
    assert body["settled_at"] is None
    assert datetime.fromisoformat(body["created_at"]) == datetime.fromisoformat(body["updated_at"])
    assert "payment_method_token" not in body


def test_upper_case_id_finds_the_same_transaction(aws: AwsResources, env: dict[str, str]) -> None:
    transaction_id = body_of(submit())["transaction_id"]

    response = _verify({"transaction_id": transaction_id.upper()})

    assert body_of(response)["transaction_id"] == transaction_id


def test_unknown_id_is_404(aws: AwsResources, env: dict[str, str]) -> None:
    response = _verify({"transaction_id": str(uuid.uuid4())})

    assert response["statusCode"] == 404
    assert error_code(response) == "TRANSACTION_NOT_FOUND"


@pytest.mark.parametrize(
    "query",
    [
        None,
        {},
        {"transaction_id": ""},
        {"transaction_id": "not-a-uuid"},
        {"transaction_id": "1" * 36},
        {"id": str(uuid.UUID(int=1))},
    ],
    ids=["no query", "empty query", "empty id", "not a uuid", "36 digits", "wrong parameter"],
)
def test_invalid_id_is_400(aws: AwsResources, env: dict[str, str], query: dict[str, str] | None) -> None:
    response = _verify(query)

    assert response["statusCode"] == 400
    assert error_code(response) == "INVALID_TRANSACTION_ID"

"""The merchant is the caller's (its API key), never the body's: keys, transactions and verify are per merchant."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import CapturedOutput
from payment_support import VALID_BODY, assert_nothing_written, error_code, submit

from payments import execution_environment
from payments.handlers import verify_payment
from payments.merchants import api_gateway_api_key_id, merchant_directory, merchant_of
from payments.settings import ConfigurationError
from testkit.aws_support import (
    MERCHANT_API_KEY_ID,
    OTHER_MERCHANT_API_KEY_ID,
    TRANSACTIONS_TABLE_NAME,
    AwsResources,
    table_items,
)
from testkit.lambda_support import FakeLambdaContext, api_event, body_of, payment_event, queue_depth

WITHOUT_MERCHANT = {name: value for name, value in VALID_BODY.items() if name != "merchant_id"}


def _pay_as(api_key_id: str | None, body: dict[str, Any] | None = None, key: str = "key-0001-test") -> dict[str, Any]:
    return submit(event=payment_event(VALID_BODY if body is None else body, key, api_key_id=api_key_id))


def _verify_as(api_key_id: str | None, transaction_id: str) -> dict[str, Any]:
    event = api_event("GET", "/verify-payment", query={"transaction_id": transaction_id}, api_key_id=api_key_id)
    response: dict[str, Any] = verify_payment.handler(event, FakeLambdaContext())
    return response


@pytest.mark.parametrize("api_key_id", [None, "", "unmapped-key"], ids=["no key id", "empty key id", "unmapped"])
def test_a_request_without_a_mapped_api_key_is_403_and_writes_nothing(
    aws: AwsResources, env: dict[str, str], api_key_id: str | None
) -> None:
    response = _pay_as(api_key_id)

    assert response["statusCode"] == 403
    assert error_code(response) == "MERCHANT_NOT_AUTHORIZED"
    assert "API key" in body_of(response)["error"]["message"]
    assert_nothing_written(aws)


def test_a_body_naming_another_merchant_is_403_and_writes_nothing(aws: AwsResources, env: dict[str, str]) -> None:
    response = _pay_as(MERCHANT_API_KEY_ID, {**VALID_BODY, "merchant_id": "merchant-002"})

    assert response["statusCode"] == 403
    assert error_code(response) == "MERCHANT_NOT_AUTHORIZED"
    assert_nothing_written(aws)


def test_merchant_id_may_be_left_out_and_is_the_callers(aws: AwsResources, env: dict[str, str]) -> None:
    response = _pay_as(OTHER_MERCHANT_API_KEY_ID, WITHOUT_MERCHANT)

    assert response["statusCode"] == 202
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["merchant_id"] == {"S": "merchant-002"}


def test_sending_or_omitting_the_own_merchant_id_is_the_same_payment(aws: AwsResources, env: dict[str, str]) -> None:
    first = _pay_as(MERCHANT_API_KEY_ID, VALID_BODY)
    replay = _pay_as(MERCHANT_API_KEY_ID, WITHOUT_MERCHANT)

    assert first["statusCode"] == replay["statusCode"] == 202
    assert body_of(first) == body_of(replay)
    assert len(table_items(aws, TRANSACTIONS_TABLE_NAME)) == 1


def test_the_callers_merchant_is_on_the_log_lines(
    aws: AwsResources, env: dict[str, str], captured_logs: CapturedOutput
) -> None:
    transaction_id = body_of(_pay_as(OTHER_MERCHANT_API_KEY_ID, WITHOUT_MERCHANT))["transaction_id"]
    _verify_as(OTHER_MERCHANT_API_KEY_ID, transaction_id)

    lines = [line for line in captured_logs.text().splitlines() if '"service":"payments"' in line.replace(" ", "")]
    accepted = [line for line in lines if "payment accepted" in line]
    assert accepted, lines
    assert all('"merchant_id":"merchant-002"' in line.replace(" ", "") for line in accepted)


def test_idempotency_keys_are_per_merchant(aws: AwsResources, env: dict[str, str]) -> None:
    """Merchant B reusing merchant A's key makes B's own payment: no 422 oracle, no blocking A's keys."""
    first = _pay_as(MERCHANT_API_KEY_ID, WITHOUT_MERCHANT)
    other = _pay_as(OTHER_MERCHANT_API_KEY_ID, {**WITHOUT_MERCHANT, "amount_minor": 777})
    replay = _pay_as(MERCHANT_API_KEY_ID, WITHOUT_MERCHANT)

    assert [first["statusCode"], other["statusCode"], replay["statusCode"]] == [202, 202, 202]
    assert body_of(first)["transaction_id"] != body_of(other)["transaction_id"]
    assert body_of(replay) == body_of(first)
    merchants = {
        item["transaction_id"]["S"]: item["merchant_id"]["S"] for item in table_items(aws, TRANSACTIONS_TABLE_NAME)
    }
    assert merchants == {
        body_of(first)["transaction_id"]: "merchant-001",
        body_of(other)["transaction_id"]: "merchant-002",
    }
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 2


def test_verify_shows_a_transaction_only_to_its_merchant(aws: AwsResources, env: dict[str, str]) -> None:
    transaction_id = body_of(_pay_as(MERCHANT_API_KEY_ID))["transaction_id"]
    unknown_id = "00000000-0000-4000-8000-000000000000"

    own = _verify_as(MERCHANT_API_KEY_ID, transaction_id)
    foreign = _verify_as(OTHER_MERCHANT_API_KEY_ID, transaction_id)
    unknown = _verify_as(OTHER_MERCHANT_API_KEY_ID, unknown_id)
    anonymous = _verify_as(None, transaction_id)

    assert own["statusCode"] == 200
    assert foreign["statusCode"] == 404
    assert foreign["body"] == unknown["body"], "another merchant's id looks exactly like an unknown one"
    assert error_code(foreign) == "TRANSACTION_NOT_FOUND"
    assert anonymous["statusCode"] == 403
    assert error_code(anonymous) == "MERCHANT_NOT_AUTHORIZED"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the invocation failed first
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MERCHANTS_TABLE_NAME", None),
        ("MERCHANTS_TABLE_NAME", ""),
        ("MERCHANTS_MAX_AGE_SECONDS", "-1"),
        ("MERCHANTS_MAX_AGE_SECONDS", "301"),
        ("MERCHANTS_MAX_AGE_SECONDS", "a minute"),
    ],
    ids=["table unset", "table empty", "negative age", "age above the bound", "age not a number"],
)
def test_an_invalid_merchant_setting_fails_both_handlers_at_start_naming_the_variable(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    execution_environment.clear_caches()

    with pytest.raises(ConfigurationError, match=variable):
        submit()
    with pytest.raises(ConfigurationError, match=variable):
        _verify_as(MERCHANT_API_KEY_ID, "00000000-0000-4000-8000-000000000000")


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_an_unreadable_merchants_table_is_an_error_not_a_403(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key that cannot be checked is never reported as a bad key: the client retries, nothing is written."""
    monkeypatch.setenv("MERCHANTS_TABLE_NAME", "no-such-table")
    execution_environment.clear_caches()

    response = _pay_as(MERCHANT_API_KEY_ID)
    verified = _verify_as(MERCHANT_API_KEY_ID, "00000000-0000-4000-8000-000000000000")

    assert (response["statusCode"], error_code(response)) == (500, "INTERNAL_ERROR")
    assert (verified["statusCode"], error_code(verified)) == (500, "INTERNAL_ERROR")
    assert_nothing_written(aws)


def test_merchant_resolution_takes_any_front_door_reader(aws: AwsResources, env: dict[str, str]) -> None:
    """An ALB front door (x-api-key checked there) plugs in its own key-id reader; the rule is the same."""
    directory = merchant_directory(env["MERCHANTS_TABLE_NAME"], 60)
    alb_event = {"headers": {"x-api-key-id": OTHER_MERCHANT_API_KEY_ID}}

    assert merchant_of(alb_event, directory, lambda event: event["headers"].get("x-api-key-id")) == "merchant-002"
    assert api_gateway_api_key_id(alb_event) is None
    assert api_gateway_api_key_id({"requestContext": {"identity": {"apiKeyId": "k1"}}}) == "k1"
    assert api_gateway_api_key_id({"requestContext": "garbage"}) is None

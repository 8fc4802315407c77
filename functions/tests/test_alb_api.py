"""The ALB door (`/api/*`): x-api-key checked against keyed hashes, then the very handlers of API Gateway."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from payment_support import VALID_BODY, assert_nothing_written, error_code

from payments.api_keys import api_key_hmac, parse_keyring
from payments.handlers import alb_api
from payments.settings import ConfigurationError
from testkit.aws_support import (
    MERCHANT_API_KEY_ID,
    OTHER_MERCHANT_API_KEY_ID,
    TRANSACTIONS_TABLE_NAME,
    AwsResources,
    table_items,
)
from testkit.lambda_support import FakeLambdaContext, body_of
from testkit.lambda_support import alb_event as lambda_event_for_alb

HMAC_KEY = secrets.token_hex(32)
MERCHANT_KEY = "merchant-one-api-key-value-0001"
OTHER_MERCHANT_KEY = "merchant-two-api-key-value-0002"
WITHOUT_MERCHANT = {name: value for name, value in VALID_BODY.items() if name != "merchant_id"}


def keyring_document(*pairs: tuple[str, str]) -> str:
    return json.dumps(
        {
            "hmacKey": HMAC_KEY,
            "keys": [{"apiKeyId": key_id, "hmac": api_key_hmac(HMAC_KEY, key)} for key_id, key in pairs],
        }
    )


@pytest.fixture
def alb_env(aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The handlers' environment plus the ALB door's API-key secret (in moto, KMS-encrypted)."""
    arn = aws.client("secretsmanager").create_secret(
        Name=f"alb-api-keys-{secrets.token_hex(4)}",
        SecretString=keyring_document(
            (MERCHANT_API_KEY_ID, MERCHANT_KEY), (OTHER_MERCHANT_API_KEY_ID, OTHER_MERCHANT_KEY)
        ),
        KmsKeyId=aws.kms_key_arn,
    )["ARN"]
    monkeypatch.setenv("ALB_API_KEYS_SECRET_ARN", arn)
    alb_api._keyring.cache_clear()
    yield {**env, "ALB_API_KEYS_SECRET_ARN": arn}
    alb_api._keyring.cache_clear()


def alb_event(
    method: str,
    path: str,
    *,
    api_key: str | None = MERCHANT_KEY,
    body: dict[str, Any] | None = None,
    idempotency_key: str | None = "alb-key-0001-test",
    query: str | None = None,
) -> dict[str, Any]:
    headers = {"content-type": "application/json"} if body is not None else {}
    if idempotency_key is not None and method == "POST":
        headers["idempotency-key"] = idempotency_key
    return lambda_event_for_alb(
        method,
        path,
        api_key=api_key,
        body=json.dumps(body) if body is not None else None,
        headers=headers,
        query={"transaction_id": query} if query else None,
    )


def call(event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = alb_api.handler(event, FakeLambdaContext())
    assert response["statusDescription"].startswith(str(response["statusCode"]))
    assert response["isBase64Encoded"] is False
    return response


def test_health_answers_200_without_reading_any_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALB_API_KEYS_SECRET_ARN", raising=False)
    alb_api._keyring.cache_clear()
    response = call(alb_event("GET", "/api/health", api_key=None))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_a_payment_through_the_alb_is_the_api_gateway_payment(aws: AwsResources, alb_env: dict[str, str]) -> None:
    response = call(alb_event("POST", "/api/process-payment", body=VALID_BODY))

    assert response["statusCode"] == 202
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["merchant_id"] == {"S": "merchant-001"}
    transaction_id = body_of(response)["transaction_id"]
    # the same idempotency: a replay answers the same transaction and writes nothing new
    replay = call(alb_event("POST", "/api/process-payment", body=VALID_BODY))
    assert (replay["statusCode"], body_of(replay)["transaction_id"]) == (202, transaction_id)
    assert len(table_items(aws, TRANSACTIONS_TABLE_NAME)) == 1
    # and the same verify, scoped to the caller's merchant
    verified = call(alb_event("GET", "/api/verify-payment", query=transaction_id))
    assert verified["statusCode"] == 200
    assert body_of(verified)["transaction_id"] == transaction_id
    foreign = call(alb_event("GET", "/api/verify-payment", api_key=OTHER_MERCHANT_KEY, query=transaction_id))
    assert (foreign["statusCode"], error_code(foreign)) == (404, "TRANSACTION_NOT_FOUND")


@pytest.mark.parametrize(
    "api_key",
    [None, "", "not-a-merchant-key", MERCHANT_KEY + "x", MERCHANT_KEY[:-1]],
    ids=["none", "empty", "unknown", "longer", "shorter"],
)
def test_a_missing_or_unknown_key_is_the_same_403_and_writes_nothing(
    aws: AwsResources, alb_env: dict[str, str], api_key: str | None
) -> None:
    response = call(alb_event("POST", "/api/process-payment", api_key=api_key, body=VALID_BODY))

    assert (response["statusCode"], error_code(response)) == (403, "MERCHANT_NOT_AUTHORIZED")
    assert_nothing_written(aws)


def test_the_merchant_is_the_keys_never_the_bodys(aws: AwsResources, alb_env: dict[str, str]) -> None:
    other = call(alb_event("POST", "/api/process-payment", api_key=OTHER_MERCHANT_KEY, body=VALID_BODY))
    assert (other["statusCode"], error_code(other)) == (403, "MERCHANT_NOT_AUTHORIZED")
    own = call(alb_event("POST", "/api/process-payment", api_key=OTHER_MERCHANT_KEY, body=WITHOUT_MERCHANT))
    assert own["statusCode"] == 202
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["merchant_id"] == {"S": "merchant-002"}


def test_the_same_validation_refuses_a_card_number(aws: AwsResources, alb_env: dict[str, str]) -> None:
    response = call(
        alb_event("POST", "/api/process-payment", body={**VALID_BODY, "payment_method_token": "4111111111111111"})
    )
    assert response["statusCode"] == 400
    assert error_code(response) == "CARD_NUMBER_REFUSED"
    assert "4111" not in response["body"]
    assert_nothing_written(aws)


def test_two_api_key_headers_are_refused(aws: AwsResources, alb_env: dict[str, str]) -> None:
    event = alb_event("POST", "/api/process-payment", body=VALID_BODY)
    event["headers"]["X-Api-Key"] = OTHER_MERCHANT_KEY  # same header, other case: two values
    response = call(event)
    assert (response["statusCode"], error_code(response)) == (403, "MERCHANT_NOT_AUTHORIZED")


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/process-payment"), ("POST", "/api/other"), ("GET", "/")])
def test_other_routes_are_404(alb_env: dict[str, str], method: str, path: str) -> None:
    response = call(alb_event(method, path))
    assert (response["statusCode"], error_code(response)) == (404, "ROUTE_NOT_FOUND")


def test_the_api_key_never_reaches_the_handlers() -> None:
    translated = alb_api.api_gateway_event(alb_event("GET", "/api/verify-payment", query="a%2Db"), "key-id")
    assert "x-api-key" not in {name.lower() for name in translated["headers"]}
    assert translated["requestContext"]["identity"]["apiKeyId"] == "key-id"
    assert translated["queryStringParameters"] == {"transaction_id": "a-b"}  # ALB leaves queries encoded
    assert translated["path"] == "/verify-payment"


@pytest.mark.parametrize(
    "secret",
    [
        "not json",
        json.dumps({"hmacKey": "short", "keys": []}),
        json.dumps({"hmacKey": HMAC_KEY, "keys": [{"apiKeyId": "k", "hmac": "zz"}]}),
        json.dumps({"hmacKey": HMAC_KEY, "keys": [{"apiKeyId": "", "hmac": "00" * 32}]}),
    ],
    # named, not shown: the key is random per process, and parallel workers must collect the same ids
    ids=["not-json", "short-hmac-key", "malformed-hmac", "empty-api-key-id"],
)
def test_an_unusable_secret_is_a_configuration_error_that_names_no_value(secret: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_keyring(secret)
    assert HMAC_KEY not in str(raised.value)


def test_a_key_matches_only_its_own_hash() -> None:
    keyring = parse_keyring(keyring_document(("one", MERCHANT_KEY), ("two", OTHER_MERCHANT_KEY)))
    assert keyring.api_key_id(alb_event("GET", "/api/health")) == "one"
    assert keyring.api_key_id(alb_event("GET", "/api/health", api_key=OTHER_MERCHANT_KEY)) == "two"
    assert keyring.api_key_id(alb_event("GET", "/api/health", api_key="nope")) is None
    assert "hmac" not in repr(keyring).lower().replace("apikeyring", "")

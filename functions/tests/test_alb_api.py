"""The ALB door (`/api/*`): x-api-key checked against keyed digests, then the very handlers of API Gateway."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import base as parameters_base
from card_support import generated_pan
from conftest import CapturedOutput
from payment_support import VALID_BODY, assert_nothing_written, error_code

from payments import execution_environment
from payments.api_keys import api_key_id
from payments.handlers import alb_api
from payments.key_hashing import KeyHasher
from payments.merchants import merchant_directory
from payments.settings import MERCHANTS_MAX_AGE_SECONDS
from payments.storage_schema import MERCHANT, digest_shard_lookup
from testkit.aws_support import (
    MERCHANT_API_KEY,
    MERCHANTS_TABLE_NAME,
    OTHER_MERCHANT_API_KEY,
    TRANSACTIONS_TABLE_NAME,
    AwsResources,
    revoke_api_key,
    table_items,
)
from testkit.lambda_support import FakeLambdaContext, body_of
from testkit.lambda_support import alb_event as lambda_event_for_alb

WITHOUT_MERCHANT = {name: value for name, value in VALID_BODY.items() if name != "merchant_id"}


def alb_event(
    method: str,
    path: str,
    *,
    api_key: str | None = MERCHANT_API_KEY,
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


def test_health_answers_200_without_reading_any_parameter_or_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEY_HASH_PARAMETER_NAME", raising=False)
    monkeypatch.delenv("MERCHANTS_TABLE_NAME", raising=False)
    execution_environment.clear_caches()
    response = call(alb_event("GET", "/api/health", api_key=None))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_a_payment_through_the_alb_is_the_api_gateway_payment(aws: AwsResources, env: dict[str, str]) -> None:
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
    foreign = call(alb_event("GET", "/api/verify-payment", api_key=OTHER_MERCHANT_API_KEY, query=transaction_id))
    assert (foreign["statusCode"], error_code(foreign)) == (404, "TRANSACTION_NOT_FOUND")


@pytest.mark.parametrize(
    "api_key",
    [None, "", "not-a-merchant-key", MERCHANT_API_KEY + "x", MERCHANT_API_KEY[:-1]],
    ids=["none", "empty", "unknown", "longer", "shorter"],
)
def test_a_missing_or_unknown_key_is_the_same_403_and_writes_nothing(
    aws: AwsResources, env: dict[str, str], api_key: str | None
) -> None:
    response = call(alb_event("POST", "/api/process-payment", api_key=api_key, body=VALID_BODY))

    assert (response["statusCode"], error_code(response)) == (403, "MERCHANT_NOT_AUTHORIZED")
    assert_nothing_written(aws)


def test_the_merchant_is_the_keys_never_the_bodys(aws: AwsResources, env: dict[str, str]) -> None:
    other = call(alb_event("POST", "/api/process-payment", api_key=OTHER_MERCHANT_API_KEY, body=VALID_BODY))
    assert (other["statusCode"], error_code(other)) == (403, "MERCHANT_NOT_AUTHORIZED")
    own = call(alb_event("POST", "/api/process-payment", api_key=OTHER_MERCHANT_API_KEY, body=WITHOUT_MERCHANT))
    assert own["statusCode"] == 202
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["merchant_id"] == {"S": "merchant-002"}


def test_the_same_validation_refuses_a_card_number(aws: AwsResources, env: dict[str, str]) -> None:
    response = call(
        alb_event("POST", "/api/process-payment", body={**VALID_BODY, "payment_method_token": "4111111111111111"})
    )
    assert response["statusCode"] == 400
    assert error_code(response) == "CARD_NUMBER_REFUSED"
    assert "4111" not in response["body"]
    assert_nothing_written(aws)


PAN = generated_pan(16)
ALB_SELF = "1-67891234-0123456789abcdef01234567"  # what the ALB adds: Self when the client sent a trace header
ALB_ROOT = "1-5f84c7a9-abcdef0123456789abcdef01"  # ... and Root when it did not


def _correlation_ids(captured: CapturedOutput, context: FakeLambdaContext) -> set[str]:
    """The correlation ids of the log lines of one invocation."""
    lines = [json.loads(line) for line in captured.text().splitlines() if line.startswith("{")]
    return {line["correlation_id"] for line in lines if line.get("function_request_id") == context.aws_request_id}


@pytest.mark.parametrize(
    ("trace_header", "expected"),
    [
        (f"Self={ALB_SELF};Root=1-67891233-abcdef012345678912345678;CalledFrom={PAN}", ALB_SELF),
        (f"Root={ALB_ROOT}", ALB_ROOT),
        (f"Root=1-67891233-{PAN}00000000", None),  # hex that is all digits, a card number among them
        (f"Root={PAN}", None),
        (f"Self={PAN};Root={ALB_ROOT}", None),
        ("", None),
    ],
    ids=["custom field", "alb root", "digits in root", "pan as root", "pan as self", "empty"],
)
def test_the_request_id_is_the_albs_trace_id_never_what_the_client_wrote(
    aws: AwsResources,
    env: dict[str, str],
    captured_logs: CapturedOutput,
    trace_header: str,
    expected: str | None,
) -> None:
    """The ALB keeps whatever a client puts in X-Amzn-Trace-Id (custom fields, and Root when it has one) and
    adds its own Self (or Root, when the client sent none): only an ALB-made id of the X-Ray form is used."""
    event = alb_event("POST", "/api/process-payment", body=VALID_BODY)
    event["headers"]["x-amzn-trace-id"] = trace_header

    context = FakeLambdaContext()
    assert alb_api.handler(event, context)["statusCode"] == 202

    (correlation_id,) = _correlation_ids(captured_logs, context)
    if expected is None:
        assert uuid.UUID(correlation_id).version == 4, "generated, since no id the ALB made could be told apart"
    else:
        assert correlation_id == expected
    assert PAN not in captured_logs.text()


def test_two_api_key_headers_are_refused(aws: AwsResources, env: dict[str, str]) -> None:
    event = alb_event("POST", "/api/process-payment", body=VALID_BODY)
    event["headers"]["X-Api-Key"] = OTHER_MERCHANT_API_KEY  # same header, other case: two values
    response = call(event)
    assert (response["statusCode"], error_code(response)) == (403, "MERCHANT_NOT_AUTHORIZED")


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/process-payment"), ("POST", "/api/other"), ("GET", "/")])
def test_other_routes_are_404(env: dict[str, str], method: str, path: str) -> None:
    response = call(alb_event(method, path))
    assert (response["statusCode"], error_code(response)) == (404, "ROUTE_NOT_FOUND")


def test_the_api_key_never_reaches_the_handlers() -> None:
    translated = alb_api.api_gateway_event(alb_event("GET", "/api/verify-payment", query="a%2Db"), "key-id")
    assert "x-api-key" not in {name.lower() for name in translated["headers"]}
    assert translated["requestContext"]["identity"]["apiKeyId"] == "key-id"
    assert translated["queryStringParameters"] == {"transaction_id": "a-b"}  # ALB leaves queries encoded
    assert translated["path"] == "/verify-payment"


def test_an_unreadable_digest_shard_is_an_error_not_a_403(aws: AwsResources, env: dict[str, str]) -> None:
    digest = KeyHasher(aws.key_hash_key.encode()).api_key_digest(MERCHANT_API_KEY)
    aws.client("dynamodb").put_item(
        TableName=MERCHANTS_TABLE_NAME,
        Item={MERCHANT.lookup: {"S": digest_shard_lookup(digest[0])}, MERCHANT.value: {"S": "not json"}},
    )

    response = call(alb_event("POST", "/api/process-payment", body=VALID_BODY))

    assert (response["statusCode"], error_code(response)) == (500, "INTERNAL_ERROR")
    assert_nothing_written(aws)


def test_a_key_matches_only_its_own_digest(aws: AwsResources, env: dict[str, str]) -> None:
    hasher, directory = KeyHasher(aws.key_hash_key.encode()), merchant_directory(MERCHANTS_TABLE_NAME, 60)
    assert api_key_id(alb_event("GET", "/api/health"), hasher, directory) == "test-key"
    assert api_key_id(alb_event("GET", "/api/health", api_key=OTHER_MERCHANT_API_KEY), hasher, directory) == "other-key"
    assert api_key_id(alb_event("GET", "/api/health", api_key="nope"), hasher, directory) is None
    other_hasher = KeyHasher(b"another key-hash key of 32 characters or more")
    assert api_key_id(alb_event("GET", "/api/health"), other_hasher, directory) is None, "the digest is keyed"


# --- revocation: a key the deploy removed stops working within the merchants' max age -------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Time as Powertools' parameter caches see it, moved forward on demand."""
    offset = [datetime.timedelta(0)]

    class Shifted(datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.datetime.now(tz) + offset[0]

    monkeypatch.setattr(parameters_base, "datetime", Shifted)

    def advance(seconds: float) -> None:
        offset[0] += datetime.timedelta(seconds=seconds)

    return advance


def _pay(key: str, idempotency_key: str) -> dict[str, Any]:
    return call(
        alb_event("POST", "/api/process-payment", api_key=key, body=WITHOUT_MERCHANT, idempotency_key=idempotency_key)
    )


def test_a_revoked_key_stops_working_in_a_warm_environment(aws: AwsResources, env: dict[str, str], clock: Any):
    """Defect 4 of the review: the ALB door cached the keys for the life of the environment."""
    assert _pay(MERCHANT_API_KEY, "alb-key-0001-test")["statusCode"] == 202  # warm: the key's answers are kept
    revoke_api_key(aws, "test-key")

    clock(MERCHANTS_MAX_AGE_SECONDS - 1)
    assert _pay(MERCHANT_API_KEY, "alb-key-0002-test")["statusCode"] == 202, "within the max age: the documented delay"
    clock(2)
    response = _pay(MERCHANT_API_KEY, "alb-key-0003-test")
    assert (response["statusCode"], error_code(response)) == (403, "MERCHANT_NOT_AUTHORIZED")
    assert _pay(OTHER_MERCHANT_API_KEY, "alb-key-0004-test")["statusCode"] == 202, "the other merchant is unaffected"

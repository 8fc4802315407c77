"""At least 50 malformed requests, plus generated ones: every one gets a 4xx with a code and writes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payment_support import VALID_BODY, assert_nothing_written, error_code, submit

from testkit.aws_support import AwsResources
from testkit.lambda_support import api_event, payment_event

V = VALID_BODY
TEXT = json.dumps(V)


def _with(**changes: Any) -> dict[str, Any]:
    return {**V, **changes}


def _without(field: str) -> dict[str, Any]:
    return {name: value for name, value in V.items() if name != field}


def _base64_event(raw: bytes) -> dict[str, Any]:
    return api_event(
        "POST",
        "/process-payment",
        body=base64.b64encode(raw).decode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": "key-0001-test"},
        base64_encoded=True,
    )


# (name, event, expected status, expected error code)
CORPUS: list[tuple[str, dict[str, Any], int, str]] = [
    ("empty body", payment_event(""), 400, "MALFORMED_JSON"),
    (
        "no body",
        api_event(
            "POST", "/process-payment", headers={"Content-Type": "application/json", "Idempotency-Key": "key-0001-test"}
        ),
        400,
        "MALFORMED_JSON",
    ),
    ("not json", payment_event("amount=1250&currency=USD"), 400, "MALFORMED_JSON"),
    ("truncated json", payment_event(TEXT[:-1]), 400, "MALFORMED_JSON"),
    ("trailing comma", payment_event(TEXT[:-1] + ",}"), 400, "MALFORMED_JSON"),
    ("single quotes", payment_event(TEXT.replace('"', "'")), 400, "MALFORMED_JSON"),
    ("duplicate field", payment_event(TEXT[:-1] + ', "amount_minor": 1}'), 400, "MALFORMED_JSON"),
    ("NaN amount", payment_event(TEXT.replace("1250", "NaN")), 400, "MALFORMED_JSON"),
    ("Infinity amount", payment_event(TEXT.replace("1250", "Infinity")), 400, "MALFORMED_JSON"),
    ("deep nesting", payment_event("[" * 2000 + "]" * 2000), 400, "MALFORMED_JSON"),
    ("byte order mark", payment_event("\ufeff" + TEXT), 400, "MALFORMED_JSON"),
    ("two documents", payment_event(TEXT + TEXT), 400, "MALFORMED_JSON"),
    ("invalid base64", {**_base64_event(b"x"), "body": "!!not base64!!"}, 400, "MALFORMED_JSON"),
    ("invalid utf-8", _base64_event(b'{"merchant_id": "\xff\xfe"}'), 400, "MALFORMED_JSON"),
    ("array", payment_event("[]"), 400, "VALIDATION_FAILED"),
    ("null", payment_event("null"), 400, "VALIDATION_FAILED"),
    ("number", payment_event("42"), 400, "VALIDATION_FAILED"),
    ("string", payment_event('"payment"'), 400, "VALIDATION_FAILED"),
    ("empty object", payment_event({}), 400, "VALIDATION_FAILED"),
    ("all null", payment_event(dict.fromkeys(V)), 400, "VALIDATION_FAILED"),
    ("missing amount", payment_event(_without("amount_minor")), 400, "VALIDATION_FAILED"),
    ("missing currency", payment_event(_without("currency")), 400, "VALIDATION_FAILED"),
    ("merchant null", payment_event(_with(merchant_id=None)), 400, "VALIDATION_FAILED"),
    ("missing token", payment_event(_without("payment_method_token")), 400, "VALIDATION_FAILED"),
    ("amount zero", payment_event(_with(amount_minor=0)), 400, "VALIDATION_FAILED"),
    ("amount negative", payment_event(_with(amount_minor=-5)), 400, "VALIDATION_FAILED"),
    ("amount fraction", payment_event(_with(amount_minor=12.5)), 400, "VALIDATION_FAILED"),
    ("amount float", payment_event(_with(amount_minor=1250.0)), 400, "VALIDATION_FAILED"),
    ("amount string", payment_event(_with(amount_minor="1250")), 400, "VALIDATION_FAILED"),
    ("amount boolean", payment_event(_with(amount_minor=True)), 400, "VALIDATION_FAILED"),
    ("amount null", payment_event(_with(amount_minor=None)), 400, "VALIDATION_FAILED"),
    ("amount object", payment_event(_with(amount_minor={"value": 1250})), 400, "VALIDATION_FAILED"),
    ("amount lone surrogate", payment_event(TEXT.replace("1250", '"\\ud800"')), 400, "VALIDATION_FAILED"),
    ("amount over maximum", payment_event(_with(amount_minor=1_000_001)), 400, "AMOUNT_TOO_LARGE"),
    ("amount huge", payment_event(_with(amount_minor=10**30)), 400, "AMOUNT_TOO_LARGE"),
    ("currency lower case", payment_event(_with(currency="usd")), 400, "VALIDATION_FAILED"),
    ("currency too short", payment_event(_with(currency="US")), 400, "VALIDATION_FAILED"),
    ("currency too long", payment_event(_with(currency="USDD")), 400, "VALIDATION_FAILED"),
    ("currency numeric code", payment_event(_with(currency=840)), 400, "VALIDATION_FAILED"),
    ("currency empty", payment_event(_with(currency="")), 400, "VALIDATION_FAILED"),
    ("currency symbol", payment_event(_with(currency="U$D")), 400, "VALIDATION_FAILED"),
    ("currency trailing newline", payment_event(_with(currency="USD\n")), 400, "VALIDATION_FAILED"),
    ("currency not allowed", payment_event(_with(currency="JPY")), 400, "CURRENCY_NOT_ALLOWED"),
    ("merchant empty", payment_event(_with(merchant_id="")), 400, "VALIDATION_FAILED"),
    ("merchant too short", payment_event(_with(merchant_id="m1")), 400, "VALIDATION_FAILED"),
    ("merchant too long", payment_event(_with(merchant_id="m" * 65)), 400, "VALIDATION_FAILED"),
    ("merchant with spaces", payment_event(_with(merchant_id="merchant one")), 400, "VALIDATION_FAILED"),
    ("merchant non-ascii", payment_event(_with(merchant_id="mërchant")), 400, "VALIDATION_FAILED"),
    ("merchant list", payment_event(_with(merchant_id=["merchant-001"])), 400, "VALIDATION_FAILED"),
    ("merchant injection", payment_event(_with(merchant_id="m'; DROP TABLE x;--")), 400, "VALIDATION_FAILED"),
    ("token too short", payment_event(_with(payment_method_token="pm_1")), 400, "VALIDATION_FAILED"),
    ("token too long", payment_event(_with(payment_method_token="t" * 129)), 400, "VALIDATION_FAILED"),
    ("token with spaces", payment_event(_with(payment_method_token="pm tok abc def")), 400, "VALIDATION_FAILED"),
    ("token object", payment_event(_with(payment_method_token={"id": "pm_tok_abcdefgh"})), 400, "VALIDATION_FAILED"),
    ("token lone surrogate", payment_event(TEXT.replace("pm_tok_", "\\ud800pm_tok_")), 400, "VALIDATION_FAILED"),
    ("unknown field", payment_event(_with(note="hello")), 400, "VALIDATION_FAILED"),
    ("unknown nested field", payment_event(_with(metadata={"order": "1"})), 400, "VALIDATION_FAILED"),
    (
        "field name in other case",
        payment_event({**_without("amount_minor"), "Amount_Minor": 1250}),
        400,
        "VALIDATION_FAILED",
    ),
    ("missing key", payment_event(V, key=None), 400, "IDEMPOTENCY_KEY_MISSING"),
    ("empty key", payment_event(V, key=""), 400, "IDEMPOTENCY_KEY_MISSING"),
    ("key too short", payment_event(V, key="abc"), 400, "IDEMPOTENCY_KEY_INVALID"),
    ("key too long", payment_event(V, key="k" * 129), 400, "IDEMPOTENCY_KEY_INVALID"),
    ("key with spaces", payment_event(V, key="key with spaces!"), 400, "IDEMPOTENCY_KEY_INVALID"),
    ("key non-ascii", payment_event(V, key="clé-idempotence"), 400, "IDEMPOTENCY_KEY_INVALID"),
    ("body over the limit", payment_event(TEXT[:-1] + " " * 5000 + "}"), 413, "BODY_TOO_LARGE"),
    ("base64 body over the limit", _base64_event(b" " * 6000), 413, "BODY_TOO_LARGE"),
    ("card number", payment_event(_with(payment_method_token="4111111111111111")), 400, "CARD_NUMBER_REFUSED"),
]


def test_the_corpus_has_at_least_50_distinct_cases() -> None:
    names = [name for name, *_ in CORPUS]
    assert len(names) >= 50
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(("event", "status", "code"), [case[1:] for case in CORPUS], ids=[case[0] for case in CORPUS])
def test_malformed_request_is_refused_and_writes_nothing(
    aws: AwsResources, env: dict[str, str], event: dict[str, Any], status: int, code: str
) -> None:
    response = submit(event=event)

    assert response["statusCode"] == status
    assert error_code(response) == code
    assert_nothing_written(aws)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
_wrong_for_amount = _json_values.filter(lambda value: type(value) is not int)
_wrong_for_text = _json_values.filter(lambda value: not isinstance(value, str))

_mutated_bodies = st.one_of(
    # an extra field, whatever its name and value
    st.tuples(st.text(min_size=1, max_size=12).filter(lambda name: name not in V), _json_values).map(
        lambda extra: {**V, extra[0]: extra[1]}
    ),
    # a required field dropped (merchant_id is optional: the caller's API key names the merchant)
    st.sets(st.sampled_from(sorted(V)), min_size=1)
    .filter(lambda dropped: dropped != {"merchant_id"})
    .map(lambda dropped: {k: v for k, v in V.items() if k not in dropped}),
    # a value of the wrong type
    _wrong_for_amount.map(lambda value: _with(amount_minor=value)),
    st.tuples(st.sampled_from(["currency", "merchant_id", "payment_method_token"]), _wrong_for_text).map(
        lambda change: {**V, change[0]: change[1]}
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_mutated_bodies)
def test_generated_malformed_bodies_are_refused_and_write_nothing(
    aws: AwsResources, env: dict[str, str], body: dict[str, Any]
) -> None:
    response = submit(body)

    assert 400 <= response["statusCode"] < 500
    assert error_code(response) in {"VALIDATION_FAILED", "CARD_NUMBER_REFUSED"}
    assert_nothing_written(aws)

"""Strict HTTP: JSON bodies only (415 otherwise), and exactly one Idempotency-Key value (400 otherwise)."""

from __future__ import annotations

from typing import Any

import pytest
from payment_support import VALID_BODY, assert_nothing_written, error_code, submit

from testkit.aws_support import AwsResources
from testkit.lambda_support import payment_event


def _with_content_types(*values: str) -> dict[str, Any]:
    event = payment_event(VALID_BODY, content_type=values[-1])
    event["multiValueHeaders"]["Content-Type"] = list(values)
    return event


REFUSED_CONTENT_TYPES: dict[str, dict[str, Any]] = {
    "no Content-Type": payment_event(VALID_BODY, content_type=None),
    "empty": payment_event(VALID_BODY, content_type=""),
    "text/plain": payment_event(VALID_BODY, content_type="text/plain"),
    "form": payment_event(VALID_BODY, content_type="application/x-www-form-urlencoded"),
    "multipart": payment_event(VALID_BODY, content_type="multipart/form-data; boundary=x"),
    "xml": payment_event(VALID_BODY, content_type="application/xml"),
    "text/json": payment_event(VALID_BODY, content_type="text/json"),
    "json suffix type": payment_event(VALID_BODY, content_type="application/merge-patch+json"),
    "json prefix": payment_event(VALID_BODY, content_type="application/jsonx"),
    "other charset": payment_event(VALID_BODY, content_type="application/json; charset=iso-8859-1"),
    "unknown parameter": payment_event(VALID_BODY, content_type="application/json; version=2"),
    "two different values": _with_content_types("application/json", "text/plain"),
}


@pytest.mark.parametrize("event", REFUSED_CONTENT_TYPES.values(), ids=REFUSED_CONTENT_TYPES.keys())
def test_a_body_that_is_not_declared_json_is_415_and_writes_nothing(
    aws: AwsResources, env: dict[str, str], event: dict[str, Any]
) -> None:
    response = submit(event=event)

    assert response["statusCode"] == 415
    assert error_code(response) == "UNSUPPORTED_MEDIA_TYPE"
    assert_nothing_written(aws)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
    ],
)
def test_json_with_an_optional_utf8_charset_is_accepted(
    aws: AwsResources, env: dict[str, str], content_type: str
) -> None:
    assert submit(event=payment_event(VALID_BODY, content_type=content_type))["statusCode"] == 202


def test_content_type_header_name_is_case_insensitive(aws: AwsResources, env: dict[str, str]) -> None:
    event = payment_event(VALID_BODY, content_type=None)
    event["headers"]["content-type"] = "application/json"
    event["multiValueHeaders"]["content-type"] = ["application/json"]

    assert submit(event=event)["statusCode"] == 202


def _two_keys_in_headers() -> dict[str, Any]:
    event = payment_event(VALID_BODY, key="key-0001-test")
    event["headers"]["idempotency-key"] = "key-0002-test"
    return event


def _two_keys_in_multi_value_headers() -> dict[str, Any]:
    event = payment_event(VALID_BODY, key="key-0002-test")  # API Gateway keeps the last value in `headers`
    event["multiValueHeaders"]["Idempotency-Key"] = ["key-0001-test", "key-0002-test"]
    return event


def _two_keys_across_case_variants_of_multi_value_headers() -> dict[str, Any]:
    event = payment_event(VALID_BODY, key="key-0001-test")
    event["multiValueHeaders"]["IDEMPOTENCY-KEY"] = ["key-0002-test"]
    return event


@pytest.mark.parametrize(
    "make_event",
    [_two_keys_in_headers, _two_keys_in_multi_value_headers, _two_keys_across_case_variants_of_multi_value_headers],
    ids=["case variants in headers", "repeated header", "case variants in multiValueHeaders"],
)
def test_two_different_idempotency_keys_are_400_never_one_of_them(
    aws: AwsResources, env: dict[str, str], make_event: Any
) -> None:
    response = submit(event=make_event())

    assert response["statusCode"] == 400
    assert error_code(response) == "IDEMPOTENCY_KEY_AMBIGUOUS"
    assert_nothing_written(aws)


def test_the_same_key_sent_twice_is_one_key(aws: AwsResources, env: dict[str, str]) -> None:
    event = payment_event(VALID_BODY, key="key-0001-test")
    event["multiValueHeaders"]["Idempotency-Key"] = ["key-0001-test", "key-0001-test"]
    event["headers"]["idempotency-key"] = "key-0001-test"

    assert submit(event=event)["statusCode"] == 202

"""Turns a POST /process-payment event into a validated `PaymentCommand`, or refuses it with an ApiError.

Checks run in an order that never lets card data reach storage or logs: size, card-number scan of
the raw body and the Idempotency-Key, the key itself, strict JSON parsing, a second card scan of the
decoded strings (JSON escapes cannot hide a PAN), the pydantic model, then the configured limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import CaseInsensitiveDict
from pydantic import ValidationError

from payments.api_gateway import read_body
from payments.card_numbers import contains_card_number
from payments.errors import ApiError, ErrorCode
from payments.models import IDEMPOTENCY_KEY_PATTERN, PaymentCommand, PaymentRequest
from payments.settings import ProcessPaymentSettings

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def _card_refused() -> ApiError:
    return ApiError(
        HTTPStatus.BAD_REQUEST,
        ErrorCode.CARD_NUMBER_REFUSED,
        "The request contains what looks like a card number; send a payment_method_token instead.",
    )


def parse_payment(event: dict[str, Any], settings: ProcessPaymentSettings) -> PaymentCommand:
    body = read_body(event, settings.max_request_body_bytes)
    key = CaseInsensitiveDict(event.get("headers") or {}).get(IDEMPOTENCY_HEADER)
    if contains_card_number(body) or (isinstance(key, str) and contains_card_number(key)):
        raise _card_refused()
    idempotency_key = _idempotency_key(key)
    payment = _validate(_parse_json(body))
    _check_limits(payment, settings)
    return PaymentCommand(idempotency_key=idempotency_key, payment=payment)


def _idempotency_key(key: Any) -> str:
    if key is None or key == "":
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.IDEMPOTENCY_KEY_MISSING,
            f"Send an {IDEMPOTENCY_HEADER} header (8-128 characters: letters, digits, '_', '-', '.', ':').",
        )
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.IDEMPOTENCY_KEY_INVALID,
            f"The {IDEMPOTENCY_HEADER} header must be 8-128 characters: letters, digits, '_', '-', '.', ':'.",
        )
    return key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate field")
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(body: str) -> Any:
    try:
        document = json.loads(body, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.MALFORMED_JSON,
            "The body must be one JSON object with each field once (no NaN/Infinity).",
        ) from None
    if any(contains_card_number(text) for text in _strings(document)):
        raise _card_refused()
    return document


def _strings(document: Any) -> Iterator[str]:
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            yield from node.keys()
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _validate(document: Any) -> PaymentRequest:
    try:
        return PaymentRequest.model_validate(document)
    except ValidationError as error:
        problems: list[str] = []
        for item in error.errors(include_url=False, include_input=False, include_context=False):
            if item["type"] == "extra_forbidden":  # the name is the client's: do not echo it
                problem = f"unknown field (accepted: {', '.join(PaymentRequest.model_fields)})"
            else:
                problem = f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            if problem not in problems:
                problems.append(problem)
        raise ApiError(HTTPStatus.BAD_REQUEST, ErrorCode.VALIDATION_FAILED, "; ".join(problems)) from None


def _check_limits(payment: PaymentRequest, settings: ProcessPaymentSettings) -> None:
    if payment.amount_minor > settings.max_amount_minor:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.AMOUNT_TOO_LARGE,
            f"amount_minor must be at most {settings.max_amount_minor} (minor units).",
        )
    if payment.currency not in settings.allowed_currencies:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.CURRENCY_NOT_ALLOWED,
            f"currency must be one of {', '.join(sorted(settings.allowed_currencies))}.",
        )

"""Turns a POST /process-payment event of a known merchant into a `PaymentSubmission`, or refuses it.

Checks run in an order that never lets card data reach storage or logs: content type, size,
card-number scan of the raw body and of every Idempotency-Key value, the key itself (exactly one
value), strict JSON parsing, a second card scan of the decoded strings (JSON escapes cannot hide a
PAN), the msgspec model, the body's merchant against the caller's, then the configured limits.
The caller's merchant is resolved before (payments.merchants).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from msgspec import UNSET, Struct

from payments.api_gateway import header_values, read_body, require_json_content_type
from payments.card_numbers import contains_card_number
from payments.errors import ApiError, ErrorCode
from payments.merchants import refuse_other_merchant
from payments.models import IDEMPOTENCY_KEY_PATTERN, PaymentRequest
from payments.settings import ProcessPaymentSettings
from payments.validation import DOCUMENT, InvalidFields, convert

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def _card_refused() -> ApiError:
    return ApiError(
        HTTPStatus.BAD_REQUEST,
        ErrorCode.CARD_NUMBER_REFUSED,
        "The request contains what looks like a card number; send a payment_method_token instead.",
    )


# A dataclass, unlike the functions' other types: the Powertools idempotency utility reads it inside a
# `PaymentCommand` (payments.handlers.process_payment). Here rather than in payments.models, which every
# handler imports: only process-payment uses it, and a dataclass costs a cold start about ten times what a
# msgspec Struct does to define.
@dataclass(frozen=True)
class Payment:
    """A validated payment as recorded: the request body, with the merchant of the authenticated caller."""

    amount_minor: int
    currency: str
    merchant_id: str
    payment_method_token: str


class PaymentSubmission(Struct, frozen=True, kw_only=True):
    """A valid payment request of one merchant. The raw key stays in memory: only keyed hashes of it are kept."""

    idempotency_key: str
    payment: Payment

    def __repr__(self) -> str:
        return f"PaymentSubmission(payment={self.payment!r})"  # never the raw key


def parse_payment(event: dict[str, Any], settings: ProcessPaymentSettings, merchant_id: str) -> PaymentSubmission:
    require_json_content_type(event)
    body = read_body(event, settings.max_request_body_bytes)
    keys = header_values(event, IDEMPOTENCY_HEADER)
    if contains_card_number(body) or any(isinstance(key, str) and contains_card_number(key) for key in keys):
        raise _card_refused()
    idempotency_key = _idempotency_key(keys)
    request = _validate(_parse_json(body))
    if request.merchant_id is not UNSET and request.merchant_id != merchant_id:
        raise refuse_other_merchant()
    _check_limits(request, settings)
    payment = Payment(
        amount_minor=request.amount_minor,
        currency=request.currency,
        merchant_id=merchant_id,
        payment_method_token=request.payment_method_token,
    )
    return PaymentSubmission(idempotency_key=idempotency_key, payment=payment)


def _idempotency_key(keys: list[Any]) -> str:
    if len(keys) > 1:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.IDEMPOTENCY_KEY_AMBIGUOUS,
            f"Send exactly one {IDEMPOTENCY_HEADER} header; this request carries several different values.",
        )
    key = keys[0] if keys else None
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
        return convert(document, PaymentRequest)
    except InvalidFields as error:
        problems = "; ".join(
            f"{'body' if where == DOCUMENT else where}: {what}" for where, what in error.problems.items()
        )
        raise ApiError(HTTPStatus.BAD_REQUEST, ErrorCode.VALIDATION_FAILED, problems) from None


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

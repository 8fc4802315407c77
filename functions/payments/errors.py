"""Machine-readable API errors: every 4xx/5xx body is {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus


class ErrorCode(StrEnum):
    """Stable error codes clients can branch on; the README lists what each means."""

    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    CARD_NUMBER_REFUSED = "CARD_NUMBER_REFUSED"
    IDEMPOTENCY_KEY_MISSING = "IDEMPOTENCY_KEY_MISSING"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    IDEMPOTENCY_KEY_AMBIGUOUS = "IDEMPOTENCY_KEY_AMBIGUOUS"
    MERCHANT_NOT_AUTHORIZED = "MERCHANT_NOT_AUTHORIZED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    MALFORMED_JSON = "MALFORMED_JSON"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    CURRENCY_NOT_ALLOWED = "CURRENCY_NOT_ALLOWED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    REQUEST_IN_PROGRESS = "REQUEST_IN_PROGRESS"
    INVALID_TRANSACTION_ID = "INVALID_TRANSACTION_ID"
    TRANSACTION_NOT_FOUND = "TRANSACTION_NOT_FOUND"
    ENQUEUE_FAILED = "ENQUEUE_FAILED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"


class ApiError(Exception):
    """An error answered to the client; `message` must never echo request data."""

    def __init__(self, status: HTTPStatus, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code.value, "message": self.message}}

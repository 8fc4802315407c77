"""API Gateway REST proxy integration: reading the request body, writing JSON responses."""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from payments.errors import ApiError, ErrorCode

_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def json_response(status: HTTPStatus, body: BaseModel) -> dict[str, Any]:
    return {"statusCode": int(status), "headers": dict(_HEADERS), "body": body.model_dump_json()}


def error_response(error: ApiError) -> dict[str, Any]:
    return {"statusCode": int(error.status), "headers": dict(_HEADERS), "body": json.dumps(error.body())}


def read_body(event: dict[str, Any], max_bytes: int) -> str:
    """The request body as text, refusing bodies over `max_bytes` (413) and undecodable bytes (400)."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise ApiError(HTTPStatus.BAD_REQUEST, ErrorCode.MALFORMED_JSON, "The body must be a JSON object.")
    if event.get("isBase64Encoded"):
        if len(body) > (max_bytes * 4) // 3 + 4:
            raise _too_large(max_bytes)
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise ApiError(HTTPStatus.BAD_REQUEST, ErrorCode.MALFORMED_JSON, "The body is not valid base64.") from None
    else:
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(HTTPStatus.BAD_REQUEST, ErrorCode.MALFORMED_JSON, "The body is not valid UTF-8.") from None


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        ErrorCode.BODY_TOO_LARGE,
        f"The body is larger than {max_bytes} bytes; send only the documented fields.",
    )

"""API Gateway REST proxy integration: reading headers and the body, writing JSON responses."""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

import msgspec

from payments.errors import ApiError, ErrorCode

_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def json_response(status: HTTPStatus, body: msgspec.Struct) -> dict[str, Any]:
    return {"statusCode": int(status), "headers": dict(_HEADERS), "body": msgspec.json.encode(body).decode()}


def error_response(error: ApiError) -> dict[str, Any]:
    return {"statusCode": int(error.status), "headers": dict(_HEADERS), "body": json.dumps(error.body())}


def header_values(event: dict[str, Any], name: str) -> list[Any]:
    """Every distinct value sent for header `name`, whatever its case, from `headers` and `multiValueHeaders`.

    API Gateway keeps only the last value of a repeated header in `headers`; `multiValueHeaders`
    has them all. Reading both means a repeated header is never silently reduced to one value.
    """
    wanted = name.lower()
    values: list[Any] = []
    single = event.get("headers")
    multi = event.get("multiValueHeaders")
    for header, value in single.items() if isinstance(single, dict) else ():
        if isinstance(header, str) and header.lower() == wanted:
            values.append(value)
    for header, listed in multi.items() if isinstance(multi, dict) else ():
        if isinstance(header, str) and header.lower() == wanted:
            values.extend(listed if isinstance(listed, list) else [listed])
    distinct: list[Any] = []
    for value in values:
        if value not in distinct:
            distinct.append(value)
    return distinct


def require_json_content_type(event: dict[str, Any]) -> None:
    """415 unless Content-Type is `application/json`, optionally with `charset=utf-8` (any case)."""
    values = header_values(event, "Content-Type")
    if len(values) != 1 or not _is_json_media_type(values[0]):
        raise ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON with one header Content-Type: application/json (optionally; charset=utf-8).",
        )


def _is_json_media_type(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    media_type, *parameters = (part.strip() for part in value.split(";"))
    if media_type.lower() != "application/json":
        return False
    for parameter in filter(None, parameters):
        name, _, argument = parameter.partition("=")
        if name.strip().lower() != "charset" or argument.strip().strip('"').lower() != "utf-8":
            return False
    return True


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

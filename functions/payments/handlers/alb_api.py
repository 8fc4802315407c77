"""The payments API behind the ALB (`/api/*`): the API Gateway handlers, reached through a second door.

One code path, two front doors: this entry point only translates. It checks the caller's
`x-api-key` (payments.api_keys: its keyed digest, looked up in the merchants table), turns the ALB
event into the API Gateway proxy event the handlers read - with the matched key id where API
Gateway would put it - and runs the same handler, so
validation, merchant scope, idempotency, metrics and errors are exactly those of API Gateway.
A missing or unknown key reaches the handler without a key id and gets the same 403.

Routes: POST /api/process-payment, GET /api/verify-payment, GET /api/health (the target group's
health check; it reads no parameter and no table, so a health check never costs more than a cold
start).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_plus

from msgspec import Struct

from payments import aws_clients, execution_environment
from payments.api_gateway import error_response, header_values
from payments.api_keys import API_KEY_HEADER, api_key_id
from payments.card_numbers import contains_card_number
from payments.errors import ApiError, ErrorCode
from payments.handlers import process_payment, verify_payment
from payments.key_hashing import KeyHasher, load_key_hasher
from payments.merchants import MerchantDirectory, merchant_directory
from payments.observability import logger
from payments.settings import AlbApiSettings

PREFIX = "/api"
HEALTH_PATH = f"{PREFIX}/health"
# An X-Ray trace id: version 1, the epoch second in 8 hex digits, 24 random hex digits.
_TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", f"{PREFIX}/process-payment"): process_payment.handler,
    ("GET", f"{PREFIX}/verify-payment"): verify_payment.handler,
}


class _Door(Struct, frozen=True):
    hasher: KeyHasher
    merchants: MerchantDirectory


@execution_environment.cached
def _door() -> _Door:
    """What checks `x-api-key`, built on the first request of an execution environment (the merchants'
    answers themselves expire: payments.merchants)."""
    settings = AlbApiSettings.from_environ(os.environ)
    return _Door(
        load_key_hasher(settings.key_hash_parameter_name, aws_clients.client("ssm")),
        merchant_directory(settings.merchants_table_name, settings.merchants_max_age_seconds),
    )


def request_id(event: dict[str, Any]) -> str:
    """The ALB's own trace id of the request, or a new UUID: the request id every log line carries.

    The ALB forwards `X-Amzn-Trace-Id` with whatever the client wrote in it (custom fields, and
    `Root` when the client sent one) and adds its own id: `Self` when the client sent the header,
    `Root` when it did not. Only that id is used, and only in the X-Ray form and holding no card
    number; anything else gets a generated id, so no client-chosen text reaches the logs.
    """
    values = header_values(event, "x-amzn-trace-id")
    if len(values) == 1 and isinstance(values[0], str):
        fields: dict[str, list[str]] = {}
        for part in values[0].split(";"):
            name, _, value = part.strip().partition("=")
            fields.setdefault(name, []).append(value)
        own = fields.get("Self") or fields.get("Root") or []
        if len(own) == 1 and _TRACE_ID.fullmatch(own[0]) and not contains_card_number(own[0]):
            return own[0]
    return str(uuid.uuid4())


def api_gateway_event(event: dict[str, Any], api_key_id: str | None) -> dict[str, Any]:
    """The API Gateway REST proxy event the handlers read, from an ALB event (single-value headers).

    The ALB passes query strings as the client sent them (still URL-encoded); API Gateway decodes
    them. The API key itself is dropped: from here on only its id travels, as on API Gateway.
    """
    path = str(event.get("path", ""))
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != API_KEY_HEADER}
    query = event.get("queryStringParameters") or {}
    forwarded = header_values(event, "x-forwarded-for")
    return {
        "resource": path.removeprefix(PREFIX),
        "path": path.removeprefix(PREFIX),
        "httpMethod": event.get("httpMethod"),
        "headers": headers,
        "multiValueHeaders": None,
        "queryStringParameters": {unquote_plus(k): unquote_plus(str(v)) for k, v in query.items()} or None,
        "requestContext": {
            "requestId": request_id(event),
            "identity": {
                "apiKeyId": api_key_id,
                "sourceIp": str(forwarded[0]).split(",")[0].strip() if forwarded else None,
            },
            "elb": (event.get("requestContext") or {}).get("elb"),
        },
        "body": event.get("body"),
        "isBase64Encoded": bool(event.get("isBase64Encoded")),
    }


def alb_response(response: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway proxy response as the ALB wants it (with a status description)."""
    status = HTTPStatus(int(response["statusCode"]))
    return {
        "statusCode": int(status),
        "statusDescription": f"{int(status)} {status.phrase}",
        "headers": dict(response.get("headers") or {}),
        "body": response.get("body", ""),
        "isBase64Encoded": False,
    }


def _not_found() -> dict[str, Any]:
    return error_response(
        ApiError(
            HTTPStatus.NOT_FOUND,
            ErrorCode.ROUTE_NOT_FOUND,
            "No such route; use POST /api/process-payment or GET /api/verify-payment.",
        )
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # a LambdaContext
    method, path = event.get("httpMethod"), event.get("path")
    if path == HEALTH_PATH and method in ("GET", "HEAD"):
        return alb_response(
            {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"status":"ok"}'}
        )
    route = ROUTES.get((str(method), str(path)))
    if route is None:
        return alb_response(_not_found())
    try:
        door = _door()
        key_id = api_key_id(event, door.hasher, door.merchants)
    except Exception:
        logger.exception("the caller's API key could not be checked")
        return alb_response(
            error_response(
                ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR, "Unexpected error; retry shortly.")
            )
        )
    return alb_response(route(api_gateway_event(event, key_id), context))

"""Which merchant is calling: the merchant of the request's API key, never whatever the body says.

Each merchant has its own API Gateway API key; API Gateway checks the key and puts its id in
`requestContext.identity.apiKeyId`. `MERCHANTS_BY_API_KEY_ID` (payments.settings) maps key ids to
merchant ids. A request without a mapped key id is refused with 403 before anything else is read.

Another front door (an ALB that checks `x-api-key` itself) needs only its own `ApiKeyIdReader`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from payments.errors import ApiError, ErrorCode

ApiKeyIdReader = Callable[[dict[str, Any]], str | None]


def api_gateway_api_key_id(event: dict[str, Any]) -> str | None:
    """The id of the API key API Gateway (REST, proxy integration) accepted for this request."""
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, dict) else None
    key_id = identity.get("apiKeyId") if isinstance(identity, dict) else None
    return key_id if isinstance(key_id, str) and key_id else None


def merchant_of(
    event: dict[str, Any],
    merchants_by_api_key_id: Mapping[str, str],
    read_api_key_id: ApiKeyIdReader = api_gateway_api_key_id,
) -> str:
    """The caller's merchant id, or ApiError 403 MERCHANT_NOT_AUTHORIZED."""
    key_id = read_api_key_id(event)
    merchant_id = merchants_by_api_key_id.get(key_id) if key_id is not None else None
    if merchant_id is None:
        raise ApiError(
            HTTPStatus.FORBIDDEN,
            ErrorCode.MERCHANT_NOT_AUTHORIZED,
            "This API key is not linked to a merchant; call with the API key issued to your merchant.",
        )
    return merchant_id


def refuse_other_merchant() -> ApiError:
    """A body that names another merchant than the caller's (403)."""
    return ApiError(
        HTTPStatus.FORBIDDEN,
        ErrorCode.MERCHANT_NOT_AUTHORIZED,
        "merchant_id is not the merchant of this API key; leave merchant_id out or send your own.",
    )

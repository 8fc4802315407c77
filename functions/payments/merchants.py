"""Which merchant is calling: the merchant of the request's API key, never whatever the body says.

Each merchant has its own API Gateway API key; API Gateway checks the key and puts its id in
`requestContext.identity.apiKeyId`. The merchants table (`MERCHANTS_TABLE_NAME`, written by the
application layer's deploy from the merchants it declares) maps key ids to merchant ids, and holds
the ALB door's key digests (payments.api_keys). A request without a mapped key id is refused with
403 before anything else is read.

The table is read through a Powertools parameters provider, GetItem only: each answer, "no such
key" included, is kept `MERCHANTS_MAX_AGE_SECONDS` (payments.settings) and read again after, so a
function's environment holds no merchant and a key removed by a deploy stops working within that
time, in warm execution environments too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.utilities.parameters.base import BaseProvider

from payments import aws_clients, execution_environment
from payments.errors import ApiError, ErrorCode
from payments.settings import ConfigurationError
from payments.storage_schema import MERCHANT, digest_shard, digest_shard_lookup, merchant_lookup

ApiKeyIdReader = Callable[[dict[str, Any]], str | None]


class MerchantDirectory(BaseProvider):
    """The merchants table, one item at a time, each answer kept `max_age_seconds`."""

    def __init__(self, table_name: str, client: Any, max_age_seconds: int) -> None:
        super().__init__(client=client)
        self._table_name, self._client, self._max_age = table_name, client, max_age_seconds

    def _get(self, name: str, **sdk_options: Any) -> str:
        item = self._client.get_item(TableName=self._table_name, Key={MERCHANT.lookup: {"S": name}}).get("Item")
        return str(item[MERCHANT.value]["S"]) if item else ""  # "": no such entry, an answer kept like any other

    def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, str]:
        raise NotImplementedError("the merchants table is read one item at a time (GetItem only)")

    def _lookup(self, name: str) -> str:
        return str(self.get(name, max_age=self._max_age))

    def merchant_of_key(self, api_key_id: str) -> str | None:
        """The merchant whose API key has this id, or None."""
        return self._lookup(merchant_lookup(api_key_id)) or None

    def key_id_of_digest(self, digest: str) -> str | None:
        """The id of the API key whose keyed digest (payments.key_hashing) this is, or None."""
        shard = self._lookup(digest_shard_lookup(digest_shard(digest)))
        try:
            entries = json.loads(shard) if shard else {}
        except ValueError:
            entries = None
        if not isinstance(entries, dict):
            raise ConfigurationError(
                "MERCHANTS_TABLE_NAME: an API-key digest shard is not a JSON object of digest -> key id; "
                "the application layer's deploy writes it (pulumi up the application layer)"
            )
        key_id = entries.get(digest)
        return key_id if isinstance(key_id, str) and key_id else None


@execution_environment.cached
def merchant_directory(table_name: str, max_age_seconds: int) -> MerchantDirectory:
    """The execution environment's one directory of a table (every handler of a function shares its answers)."""
    return MerchantDirectory(table_name, aws_clients.client("dynamodb"), max_age_seconds)


def api_gateway_api_key_id(event: dict[str, Any]) -> str | None:
    """The id of the API key API Gateway (REST, proxy integration) accepted for this request."""
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, dict) else None
    key_id = identity.get("apiKeyId") if isinstance(identity, dict) else None
    return key_id if isinstance(key_id, str) and key_id else None


def merchant_of(
    event: dict[str, Any],
    directory: MerchantDirectory,
    read_api_key_id: ApiKeyIdReader = api_gateway_api_key_id,
) -> str:
    """The caller's merchant id, or ApiError 403 MERCHANT_NOT_AUTHORIZED."""
    key_id = read_api_key_id(event)
    merchant_id = directory.merchant_of_key(key_id) if key_id is not None else None
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

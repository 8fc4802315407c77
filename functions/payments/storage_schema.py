"""DynamoDB table layouts shared by the data layer (which creates the tables) and the handlers.

Pure constants: this module imports nothing heavy (msgspec for its frozen types, which cost a cold
start less to define than dataclasses), so infrastructure code can read it without pulling boto3 or
Powertools. Every table and attribute name the handlers use comes from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from msgspec import Struct

KeyType = Literal["S", "N", "B"]


class TableSchema(Struct, frozen=True):
    """Key layout of one DynamoDB table (on-demand billing, so no capacity settings)."""

    hash_key: str
    hash_key_type: KeyType
    range_key: str | None = None
    range_key_type: KeyType | None = None
    ttl_attribute: str | None = None

    def key_schema(self) -> list[dict[str, str]]:
        """`KeySchema` in the DynamoDB API shape."""
        keys = [{"AttributeName": self.hash_key, "KeyType": "HASH"}]
        if self.range_key is not None:
            keys.append({"AttributeName": self.range_key, "KeyType": "RANGE"})
        return keys

    def attribute_definitions(self) -> list[dict[str, str]]:
        """`AttributeDefinitions` in the DynamoDB API shape (key attributes only)."""
        definitions = [{"AttributeName": self.hash_key, "AttributeType": self.hash_key_type}]
        if self.range_key is not None and self.range_key_type is not None:
            definitions.append({"AttributeName": self.range_key, "AttributeType": self.range_key_type})
        return definitions


class TransactionStatus(StrEnum):
    """Lifecycle of a payment: PENDING -> SETTLED, or PENDING -> FAILED when it was never enqueued."""

    PENDING = "PENDING"
    SETTLED = "SETTLED"
    FAILED = "FAILED"


class TransactionAttributes(Struct, frozen=True):
    """Attribute names of an item in the transactions table."""

    transaction_id: str = "transaction_id"
    status: str = "status"
    amount_minor: str = "amount_minor"
    currency: str = "currency"
    merchant_id: str = "merchant_id"
    payment_method_token: str = "payment_method_token"  # noqa: S105 (an attribute name)
    created_at: str = "created_at"
    updated_at: str = "updated_at"
    settled_at: str = "settled_at"
    settlement_claimed_at: str = "settlement_claimed_at"
    failure_reason: str = "failure_reason"


class IdempotencyAttributes(Struct, frozen=True):
    """Attribute names of an idempotency record (the Powertools defaults, passed to it explicitly)."""

    key: str = "id"
    expiry: str = "expiration"
    in_progress_expiry: str = "in_progress_expiration"
    status: str = "status"
    data: str = "data"
    validation: str = "validation"


TRANSACTION = TransactionAttributes()
IDEMPOTENCY = IdempotencyAttributes()

TRANSACTIONS_TABLE = TableSchema(hash_key=TRANSACTION.transaction_id, hash_key_type="S")
IDEMPOTENCY_TABLE = TableSchema(hash_key=IDEMPOTENCY.key, hash_key_type="S", ttl_attribute=IDEMPOTENCY.expiry)


class MerchantAttributes(Struct, frozen=True):
    """Attribute names of an item in the merchants table: what a front door looks up, and the answer."""

    lookup: str = "lookup"
    value: str = "value"


MERCHANT = MerchantAttributes()
MERCHANTS_TABLE_TYPE = "merchants"  # its physical name: merchants-<environment>-<suffix> (data/tables.py)
MERCHANTS_TABLE = TableSchema(hash_key=MERCHANT.lookup, hash_key_type="S")
"""Written by the application layer's deploy, read by the API functions with GetItem only:
- `api-key/<API Gateway key id>` -> the merchant id (`merchant_lookup`);
- `api-key-digests/<0-f>` -> a JSON object of keyed digest -> key id for the ALB door
  (`digest_shard_lookup`): the digests in 16 shards by their first hex digit, never a digest as
  an item's key (a key is visible wherever the item is named)."""

DIGEST_SHARDS: tuple[str, ...] = tuple("0123456789abcdef")


def merchant_lookup(api_key_id: str) -> str:
    """The merchants-table key of the item naming the merchant of an API key id."""
    return f"api-key/{api_key_id}"


def digest_shard_lookup(shard: str) -> str:
    """The merchants-table key of the shard holding the digests that start with `shard`."""
    return f"api-key-digests/{shard}"


def digest_shard(digest: str) -> str:
    """The shard of a hex digest: its first digit."""
    return digest[0]


def merchant_item(api_key_id: str, merchant_id: str) -> dict[str, Any]:
    """The item naming the merchant of an API key, in DynamoDB's attribute-value form."""
    return {MERCHANT.lookup: {"S": merchant_lookup(api_key_id)}, MERCHANT.value: {"S": merchant_id}}


def digest_shard_items(key_ids_by_digest: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every shard's item (one per `DIGEST_SHARDS`, in that order, an empty one included), each holding
    its digests -> key ids as a JSON object with sorted keys (the same merchants, the same items)."""
    return [
        {
            MERCHANT.lookup: {"S": digest_shard_lookup(shard)},
            MERCHANT.value: {
                "S": json.dumps(
                    {
                        digest: key_ids_by_digest[digest]
                        for digest in sorted(key_ids_by_digest)
                        if digest_shard(digest) == shard
                    },
                    separators=(",", ":"),
                )
            },
        }
        for shard in DIGEST_SHARDS
    ]

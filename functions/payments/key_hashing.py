"""Keyed hashes of Idempotency-Keys: what is stored, and the transaction id, never the raw key.

Both are HMAC-SHA256 under a secret key read from Secrets Manager (`KEY_HASH_SECRET_ARN`), over
(purpose, merchant id, Idempotency-Key), so
- the stored idempotency record and the transaction id reveal nothing about the key without the
  secret (a key that held card data cannot be brute-forced from them);
- the same key used by two merchants gives two unrelated records and transactions;
- the transaction id is still deterministic: the same merchant and key always give the same id,
  so a request re-run after its idempotency record was lost finds the transaction it made.

Changing the secret changes every derived id: a client retrying across the change would make a
second payment. The secret is created once and never rotated in place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from payments.settings import ConfigurationError

MIN_SECRET_LENGTH = 32
_IDEMPOTENCY_PURPOSE = "idempotency-record"
_TRANSACTION_PURPOSE = "transaction-id"
_UUID_VERSION_8 = 0x80  # RFC 9562 UUIDv8: application-defined layout (here, a truncated HMAC)
_RFC_VARIANT = 0x80


@dataclass(frozen=True)
class KeyHasher:
    """Derives the stored idempotency digest and the transaction id of (merchant, Idempotency-Key)."""

    _secret: bytes = field(repr=False)

    def _mac(self, purpose: str, merchant_id: str, idempotency_key: str) -> bytes:
        message = json.dumps([purpose, merchant_id, idempotency_key], separators=(",", ":")).encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def idempotency_digest(self, merchant_id: str, idempotency_key: str) -> str:
        """Hex HMAC that keys the merchant's idempotency record for this key."""
        return self._mac(_IDEMPOTENCY_PURPOSE, merchant_id, idempotency_key).hex()

    def transaction_id(self, merchant_id: str, idempotency_key: str) -> UUID:
        """The merchant's transaction for this key: a UUIDv8 made of the first 16 bytes of an HMAC."""
        raw = bytearray(self._mac(_TRANSACTION_PURPOSE, merchant_id, idempotency_key)[:16])
        raw[6] = (raw[6] & 0x0F) | _UUID_VERSION_8
        raw[8] = (raw[8] & 0x3F) | _RFC_VARIANT
        return UUID(bytes=bytes(raw))


def load_key_hasher(secret_arn: str, client: Any) -> KeyHasher:
    """Read the secret once (Powertools parameters, cached) and check it; ConfigurationError if unusable."""
    try:
        secret = SecretsProvider(boto3_client=client).get(secret_arn)
    except GetParameterError:
        raise ConfigurationError(
            "KEY_HASH_SECRET_ARN: the secret could not be read; check that it exists and that the function's role "
            "may call secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)"
        ) from None
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"KEY_HASH_SECRET_ARN: the secret must be a SecretString of at least {MIN_SECRET_LENGTH} random "
            "characters (for example 64 hex digits); create it once and never rotate it in place"
        )
    return KeyHasher(secret.encode("utf-8"))

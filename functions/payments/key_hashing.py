"""Keyed hashes: of Idempotency-Keys (what is stored, and the transaction id, never the raw key) and
of merchant API keys (the ALB door's lookup digests).

All are HMAC-SHA256 under one secret key, a SecureString parameter (`KEY_HASH_PARAMETER_NAME`),
over a purpose and the hashed values, so that the purposes never collide. For Idempotency-Keys,
over (purpose, merchant id, Idempotency-Key), so
- the stored idempotency record and the transaction id reveal nothing about the key without the
  secret (a key that held card data cannot be brute-forced from them);
- the same key used by two merchants gives two unrelated records and transactions;
- the transaction id is still deterministic: the same merchant and key always give the same id,
  so a request re-run after its idempotency record was lost finds the transaction it made.

The application layer computes the API-key digests with the same class at deploy time (it holds the
key as a Pulumi secret), which is why reading the parameter imports Powertools only when called.

Changing the secret changes every derived id: a client retrying across the change would make a
second payment. The secret is created once and never rotated in place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from uuid import UUID

from msgspec import Struct

from payments import execution_environment
from payments.settings import ConfigurationError

MIN_SECRET_LENGTH = 32
_IDEMPOTENCY_PURPOSE = "idempotency-record"
_TRANSACTION_PURPOSE = "transaction-id"
_API_KEY_PURPOSE = "api-key"
_UUID_VERSION_8 = 0x80  # RFC 9562 UUIDv8: application-defined layout (here, a truncated HMAC)
_RFC_VARIANT = 0x80


class KeyHasher(Struct, frozen=True):
    """Derives the stored idempotency digest and the transaction id of (merchant, Idempotency-Key)."""

    _secret: bytes

    def __repr__(self) -> str:
        return "KeyHasher()"  # never the key

    def _mac(self, purpose: str, *values: str) -> bytes:
        message = json.dumps([purpose, *values], separators=(",", ":")).encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def api_key_digest(self, api_key: str) -> str:
        """Hex HMAC of a merchant API key value: what the merchants table files the key's id under."""
        return self._mac(_API_KEY_PURPOSE, api_key).hex()

    def idempotency_digest(self, merchant_id: str, idempotency_key: str) -> str:
        """Hex HMAC that keys the merchant's idempotency record for this key."""
        return self._mac(_IDEMPOTENCY_PURPOSE, merchant_id, idempotency_key).hex()

    def transaction_id(self, merchant_id: str, idempotency_key: str) -> UUID:
        """The merchant's transaction for this key: a UUIDv8 made of the first 16 bytes of an HMAC."""
        raw = bytearray(self._mac(_TRANSACTION_PURPOSE, merchant_id, idempotency_key)[:16])
        raw[6] = (raw[6] & 0x0F) | _UUID_VERSION_8
        raw[8] = (raw[8] & 0x3F) | _RFC_VARIANT
        return UUID(bytes=bytes(raw))


@execution_environment.cached
def load_key_hasher(parameter_name: str, client: Any) -> KeyHasher:
    """Read the key (Powertools parameters, decrypted) once per execution environment, whichever handlers
    of a function need it, and check it; ConfigurationError if unusable."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415 (see the module docstring)
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError  # noqa: PLC0415

    try:
        secret = SSMProvider(boto3_client=client).get(parameter_name, decrypt=True)
    except GetParameterError:
        raise ConfigurationError(
            "KEY_HASH_PARAMETER_NAME: the parameter could not be read; check that it exists and that the function's "
            "role may call ssm:GetParameter on it (and kms:Decrypt on its key)"
        ) from None
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"KEY_HASH_PARAMETER_NAME: the parameter must be a SecureString of at least {MIN_SECRET_LENGTH} random "
            "characters (for example 64 hex digits); create it once and never rotate it in place"
        )
    return KeyHasher(secret.encode("utf-8"))

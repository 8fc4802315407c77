"""The ALB door's merchant identity: which API key the caller sent in `x-api-key`.

API Gateway checks API keys itself and hands the handlers the key's id. The ALB has no API keys,
so on that path this module does the check: the secret `ALB_API_KEYS_SECRET_ARN` holds an HMAC
key and, per merchant API key, its API Gateway key id and HMAC-SHA256(hmacKey, key value) - never
a key value. The presented key's HMAC is compared with every stored one in constant time (no early
exit, so timing tells nothing about which or how many bytes matched). The matched key id then goes
through the same `MERCHANTS_BY_API_KEY_ID` mapping as on API Gateway: both doors enforce one scope.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from payments.api_gateway import header_values
from payments.settings import ConfigurationError

API_KEY_HEADER = "x-api-key"
MIN_HMAC_KEY_LENGTH = 32
_DIGEST_BYTES = hashlib.sha256().digest_size


def api_key_hmac(hmac_key: str, api_key: str) -> str:
    """Hex HMAC-SHA256 of an API key value, as the onboarding runbook stores it."""
    return hmac.new(hmac_key.encode("utf-8"), api_key.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ApiKeyring:
    """Stored HMACs of the merchants' API keys, by API Gateway key id."""

    _hmac_key: bytes = field(repr=False)
    _entries: Sequence[tuple[str, bytes]] = field(repr=False)

    def api_key_id(self, event: dict[str, Any]) -> str | None:
        """The id of the key in the request's single `x-api-key` header, or None (no, several or unknown key)."""
        values = header_values(event, API_KEY_HEADER)
        if len(values) != 1 or not isinstance(values[0], str) or not values[0]:
            return None
        presented = hmac.new(self._hmac_key, values[0].encode("utf-8"), hashlib.sha256).digest()
        matched: str | None = None
        for key_id, stored in self._entries:  # every entry, whatever matched before
            if hmac.compare_digest(presented, stored):
                matched = key_id
        return matched


def parse_keyring(secret: Any) -> ApiKeyring:
    """The secret's JSON as an ApiKeyring; ConfigurationError naming what is wrong (never a value)."""
    problem = 'must be JSON {"hmacKey": "<32+ characters>", "keys": [{"apiKeyId": ..., "hmac": "<64 hex>"}]}'
    try:
        document = json.loads(secret) if isinstance(secret, str) else None
    except ValueError:
        document = None
    hmac_key = document.get("hmacKey") if isinstance(document, dict) else None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(hmac_key, str) or len(hmac_key) < MIN_HMAC_KEY_LENGTH or not isinstance(keys, list):
        raise ConfigurationError(f"ALB_API_KEYS_SECRET_ARN: the secret {problem}")
    entries: list[tuple[str, bytes]] = []
    for entry in keys:
        key_id = entry.get("apiKeyId") if isinstance(entry, dict) else None
        digest = entry.get("hmac") if isinstance(entry, dict) else None
        try:
            raw = bytes.fromhex(digest) if isinstance(digest, str) else b""
        except ValueError:
            raw = b""
        if not isinstance(key_id, str) or not key_id or len(raw) != _DIGEST_BYTES:
            raise ConfigurationError(f"ALB_API_KEYS_SECRET_ARN: every entry of keys {problem}")
        entries.append((key_id, raw))
    return ApiKeyring(hmac_key.encode("utf-8"), tuple(entries))


def load_keyring(secret_arn: str, client: Any) -> ApiKeyring:
    try:
        secret = SecretsProvider(boto3_client=client).get(secret_arn)
    except GetParameterError:
        raise ConfigurationError(
            "ALB_API_KEYS_SECRET_ARN: the secret could not be read; check that it exists, has a value (the "
            "onboarding runbook writes it) and that the function may call secretsmanager:GetSecretValue"
        ) from None
    return parse_keyring(secret)

"""The ALB door's merchant identity: which API key the caller sent in `x-api-key`.

API Gateway checks API keys itself and hands the handlers the key's id. The ALB has no API keys,
so on that path this module does the check: the presented key's keyed digest (HMAC-SHA256 under
the key-hash parameter, `payments.key_hashing`) is looked up in the merchants table, where the
application layer's deploy files every merchant key's digest under the key's id - never a key
value, and never a digest as an item's key. The matched key id then goes through the same key id
-> merchant lookup as on API Gateway: both doors enforce one scope.

The lookup compares digests, not keys: an attacker cannot steer an HMAC without its key, so how
long a lookup takes tells nothing about which stored digest, or how much of one, a guess matched.
"""

from __future__ import annotations

from typing import Any

from payments.api_gateway import header_values
from payments.key_hashing import KeyHasher
from payments.merchants import MerchantDirectory

API_KEY_HEADER = "x-api-key"


def presented_api_key(event: dict[str, Any]) -> str | None:
    """The request's single non-empty `x-api-key` value, or None (no, several or an empty one)."""
    values = header_values(event, API_KEY_HEADER)
    if len(values) != 1 or not isinstance(values[0], str) or not values[0]:
        return None
    return values[0]


def api_key_id(event: dict[str, Any], hasher: KeyHasher, merchants: MerchantDirectory) -> str | None:
    """The id of the merchant API key the request presents, or None (none, several, or unknown)."""
    api_key = presented_api_key(event)
    return merchants.key_id_of_digest(hasher.api_key_digest(api_key)) if api_key is not None else None

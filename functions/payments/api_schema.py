"""JSON Schemas (draft 4, what API Gateway models accept) generated from the request models.

The application layer turns `payment_request_schema()` into the API Gateway model of
POST /process-payment, and the Lambda validates with the same pydantic model: one source of truth.
GET /verify-payment takes no body: its only input is the required query string parameter
`VERIFY_QUERY_PARAMETER` (see `verify_request_parameters()`).
"""

from __future__ import annotations

from typing import Any

from payments.models import PaymentRequest

DRAFT_4 = "http://json-schema.org/draft-04/schema#"
VERIFY_QUERY_PARAMETER = "transaction_id"

# Keywords that exist only after draft 4 and have no draft-4 spelling we rewrite below.
_UNSUPPORTED = frozenset({"$defs", "definitions", "$ref", "anyOf", "oneOf", "allOf", "examples", "if", "then"})


def _to_draft4(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_draft4(item) for item in node]
    if not isinstance(node, dict):
        return node
    found = _UNSUPPORTED.intersection(node)
    if found:
        raise ValueError(f"request models must stay flat for API Gateway (draft 4): remove {sorted(found)}")
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key == "const":
            converted["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            converted["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            converted[key] = True
        elif key == "properties":
            converted[key] = {name: _to_draft4(schema) for name, schema in value.items()}
        else:
            converted[key] = _to_draft4(value)
    return converted


def payment_request_schema() -> dict[str, Any]:
    """Draft-4 JSON Schema of the POST /process-payment body (additionalProperties: false)."""
    schema = _to_draft4(PaymentRequest.model_json_schema())
    return {"$schema": DRAFT_4, **schema}


def verify_request_parameters() -> dict[str, bool]:
    """`request_parameters` for the GET /verify-payment API Gateway method (True = required)."""
    return {f"method.request.querystring.{VERIFY_QUERY_PARAMETER}": True}

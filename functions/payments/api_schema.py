"""JSON Schemas (draft 4, what API Gateway models accept) generated from the request models.

The application layer turns `payment_request_schema()` into the API Gateway model of
POST /process-payment, and the Lambda validates with the same msgspec model: one source of truth.
GET /verify-payment takes no body: its only input is the required query string parameter
`VERIFY_QUERY_PARAMETER` (see `verify_request_parameters()`).
"""

from __future__ import annotations

from typing import Any

import msgspec

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
        elif key == "pattern":
            converted[key] = _ecma_262(value)
        elif key == "properties":
            converted[key] = {name: _to_draft4(schema) for name, schema in value.items()}
        else:
            converted[key] = _to_draft4(value)
    return converted


def _ecma_262(pattern: str) -> str:
    """A model's pattern as JSON Schema (ECMA-262) writes it. The models end theirs in Python's `\\Z`, the end
    of the string, which is ECMA-262's `$`: Python's `$` also matches before a final newline, so the function
    would take what API Gateway refuses."""
    body = pattern.removesuffix("\\Z")
    if "\\Z" in body or body.endswith("$"):
        raise ValueError(f"request model patterns end in \\Z, and only there: {pattern!r}")
    return pattern if body == pattern else f"{body}$"


def payment_request_schema() -> dict[str, Any]:
    """Draft-4 JSON Schema of the POST /process-payment body (additionalProperties: false)."""
    (_,), components = msgspec.json.schema_components([PaymentRequest])
    schema = _to_draft4(components[PaymentRequest.__name__])
    # Each property is titled with its name in words ("amount_minor": "Amount Minor").
    schema["properties"] = {
        name: {"title": name.replace("_", " ").title(), **value} for name, value in schema["properties"].items()
    }
    return {"$schema": DRAFT_4, **schema}


def verify_request_parameters() -> dict[str, bool]:
    """`request_parameters` for the GET /verify-payment API Gateway method (True = required)."""
    return {f"method.request.querystring.{VERIFY_QUERY_PARAMETER}": True}

"""What the payments REST API serves, as data: routes, request models, gateway responses, access-log format.

`application/api.py` declares every API Gateway resource from these values, and its Deployment's
`triggers` are the sha256 of `ApiDefinition.spec()` (the same values) plus each route's integration
URI: any change to what API Gateway serves replaces the Deployment, and so reaches the stage.

Request models come from the functions' own pydantic models (`payments.api_schema`): API Gateway
and the handlers validate with one definition and can never disagree.

Content types. A REST API validates a body only against the model of the request's Content-Type;
with no matching model it skips validation (AWS: "If no matching content type is found, request
validation is not performed. To use the same model regardless of the content type, set the
content type for your data model to $default"). So every body model is keyed under both
`application/json` and `$default`: a request sent as `text/plain` (or with no Content-Type) is
validated against the same JSON Schema, and anything that is not a conforming JSON object is
refused with 400 before the function runs. A conforming JSON body under another content type does
reach the function, which refuses it itself (415, payments.api_gateway). API Gateway cannot refuse a content type before
a Lambda proxy integration (`passthrough_behavior`/UNSUPPORTED_MEDIA_TYPE apply to mapping
templates, which AWS_PROXY does not use); the UNSUPPORTED_MEDIA_TYPE response below only makes
its body match ours should it ever be raised.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from payments.api_schema import payment_request_schema, verify_request_parameters
from payments.errors import ErrorCode

JSON = "application/json"
ANY_CONTENT_TYPE = "$default"
STAGE_NAME = "v1"
API_KEY_SOURCE = "HEADER"  # clients send the key in `x-api-key`
ENDPOINT_TYPE = "REGIONAL"


@dataclass(frozen=True)
class RequestModel:
    name: str  # API Gateway model names are alphanumeric
    schema: Mapping[str, Any]

    def schema_json(self) -> str:
        return json.dumps(self.schema, sort_keys=True)


@dataclass(frozen=True)
class Route:
    """One method on one path under the API root, answered by one Lambda function (AWS_PROXY)."""

    path: str  # path part under the root, e.g. "process-payment"
    method: str
    request_model: RequestModel | None = None
    request_parameters: Mapping[str, bool] = field(default_factory=dict)  # True = required

    @property
    def request_models(self) -> dict[str, str]:
        """Content type -> model name; `$default` too, so no content type escapes validation."""
        if self.request_model is None:
            return {}
        return {JSON: self.request_model.name, ANY_CONTENT_TYPE: self.request_model.name}

    @property
    def key(self) -> str:
        return f"{self.method} /{self.path}"

    def source_arn(self, execution_arn: str) -> str:
        """What the function's invoke permission allows: this method and path, in any stage of this API
        (any stage, so that the console's test invocations work too)."""
        return f"{execution_arn}/*/{self.method}/{self.path}"


@dataclass(frozen=True)
class GatewayError:
    """The body of a response API Gateway itself sends: the functions' error shape
    {"error": {"code", "message"}}, with a fixed message that never echoes the request."""

    response_type: str
    status_code: int | None  # None keeps the status API Gateway chose (the DEFAULT_* families)
    code: str
    message: str

    def template(self) -> str:
        return json.dumps({"error": {"code": self.code, "message": self.message}}, separators=(",", ":"))


# Headers of every gateway response, as the handlers send them (payments.api_gateway).
GATEWAY_RESPONSE_HEADERS: dict[str, str] = {
    "gatewayresponse.header.Cache-Control": "'no-store'",
    "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
}
_RETRY = "retry with the same Idempotency-Key"
GATEWAY_ERRORS: tuple[GatewayError, ...] = (
    GatewayError("DEFAULT_4XX", None, "REQUEST_REFUSED", "The request was refused."),
    GatewayError("DEFAULT_5XX", None, ErrorCode.INTERNAL_ERROR, f"The request could not be processed; {_RETRY}."),
    GatewayError(
        "BAD_REQUEST_BODY",
        400,
        ErrorCode.VALIDATION_FAILED,
        "The body must be a JSON object with exactly the documented fields and formats.",
    ),
    GatewayError(
        "BAD_REQUEST_PARAMETERS", 400, ErrorCode.VALIDATION_FAILED, "A required request parameter is missing."
    ),
    GatewayError("UNSUPPORTED_MEDIA_TYPE", 415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."),
    GatewayError("REQUEST_TOO_LARGE", 413, ErrorCode.BODY_TOO_LARGE, "The request is too large."),
    GatewayError(
        "INVALID_API_KEY", 403, "API_KEY_INVALID", "Send the API key issued to your merchant in the x-api-key header."
    ),
    GatewayError("ACCESS_DENIED", 403, "ACCESS_DENIED", "This API key may not call this operation."),
    GatewayError(
        "MISSING_AUTHENTICATION_TOKEN",  # what REST APIs answer for an unknown path or method
        404,
        "NOT_FOUND",
        "No such operation; the API serves POST /process-payment and GET /verify-payment.",
    ),
    GatewayError("RESOURCE_NOT_FOUND", 404, "NOT_FOUND", "No such operation."),
    GatewayError("THROTTLED", 429, "THROTTLED", "Too many requests; retry later with exponential backoff."),
    GatewayError(
        "QUOTA_EXCEEDED", 429, "QUOTA_EXCEEDED", "This API key has used its request quota for the current period."
    ),
    GatewayError(
        "INTEGRATION_TIMEOUT",
        504,
        ErrorCode.SERVICE_UNAVAILABLE,
        f"The payment service did not answer in time; {_RETRY}.",
    ),
    GatewayError("INTEGRATION_FAILURE", 502, ErrorCode.SERVICE_UNAVAILABLE, f"The payment service failed; {_RETRY}."),
)

# Access-log record (one JSON object per request): who, what, how it ended, how long it took.
# Never the body, the query string, headers a client writes freely (User-Agent) or
# `$context.error.validationErrorString` / `$context.error.message`, which can quote the request.
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTimeEpoch": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "stage": "$context.stage",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatencyMs": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatencyMs": "$context.integration.latency",
    "errorType": "$context.error.responseType",
    "apiKeyId": "$context.identity.apiKeyId",
    "sourceIp": "$context.identity.sourceIp",
    "xrayTraceId": "$context.xrayTraceId",
}
ACCESS_LOG_FORMAT = json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))

PAYMENT_REQUEST = RequestModel("PaymentRequest", payment_request_schema())
PROCESS_PAYMENT = Route("process-payment", "POST", request_model=PAYMENT_REQUEST)
VERIFY_PAYMENT = Route("verify-payment", "GET", request_parameters=verify_request_parameters())


@dataclass(frozen=True)
class ApiDefinition:
    routes: tuple[Route, ...]
    gateway_errors: tuple[GatewayError, ...] = GATEWAY_ERRORS

    @property
    def models(self) -> dict[str, RequestModel]:
        return {r.request_model.name: r.request_model for r in self.routes if r.request_model is not None}

    def spec(self) -> dict[str, Any]:
        """Everything a deployment snapshots except the integration URIs, which name each environment's
        functions (`triggers` carries them as they are, so that this hash is the same in every environment)."""
        return {
            "endpointType": ENDPOINT_TYPE,
            "apiKeySource": API_KEY_SOURCE,
            # One validator for every method: bodies against their model, required parameters present.
            "validator": {"body": True, "parameters": True},
            "models": {
                name: {"contentType": JSON, "schema": model.schema_json()} for name, model in self.models.items()
            },
            "routes": [
                {
                    "path": route.path,
                    "method": route.method,
                    "authorization": "NONE",
                    "apiKeyRequired": True,
                    "requestModels": route.request_models,
                    "requestParameters": dict(route.request_parameters),
                    "integration": {"type": "AWS_PROXY", "httpMethod": "POST"},
                }
                for route in self.routes
            ],
            "gatewayResponses": {
                e.response_type: {
                    "statusCode": e.status_code,
                    "template": e.template(),
                    "headers": GATEWAY_RESPONSE_HEADERS,
                }
                for e in self.gateway_errors
            },
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()

    def triggers(self, integration_uris: Mapping[str, pulumi.Input[str]]) -> dict[str, pulumi.Input[str]]:
        """Deployment triggers: any change of the definition or of a route's integration URI (by path)
        replaces the deployment."""
        return {"definition": self.digest(), **{r.key: integration_uris[r.path] for r in self.routes}}


PAYMENTS_API = ApiDefinition(routes=(PROCESS_PAYMENT, VERIFY_PAYMENT))

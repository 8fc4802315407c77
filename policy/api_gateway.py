"""API Gateway REST APIs: logged (access and execution logs, never request bodies), traced, throttled,
every method behind an API key and the request validator."""

from pulumi_policy import ResourceValidationArgs

from policy.rules import Companion, companion_policy, is_set, resource_policy, value

STAGE = "aws:apigateway/stage:Stage"
METHOD = "aws:apigateway/method:Method"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
LOGGING_LEVELS = ("INFO", "ERROR")
ANY_CONTENT_TYPE = "$default"


def _access_logs(args: ResourceValidationArgs) -> str | None:
    missing = [p for p in ("destinationArn", "format") if not is_set(args.props, "accessLogSettings", p)]
    if missing:
        return f"the stage writes no access logs: set accessLogSettings {' and '.join(missing)} (JSON, no body)"
    return None


def _execution_logs(args: ResourceValidationArgs) -> str | None:
    level = value(args.props, "settings", "loggingLevel")
    if level in LOGGING_LEVELS:
        return None
    return f"execution logging level is {level!r}: set settings.loggingLevel to INFO or ERROR"


def _no_data_trace(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "settings", "dataTraceEnabled") is True:
        return "data tracing logs full request and response bodies (card data): set settings.dataTraceEnabled=false"
    return None


def _xray(args: ResourceValidationArgs) -> str | None:
    return None if value(args.props, "xrayTracingEnabled") is True else "set xrayTracingEnabled=true on the stage"


def _positive(number: object) -> bool:
    return isinstance(number, int | float) and not isinstance(number, bool) and number > 0


def _method_throttling(args: ResourceValidationArgs) -> str | None:
    limits = ("throttlingRateLimit", "throttlingBurstLimit")
    unset = [limit for limit in limits if not _positive(value(args.props, "settings", limit))]
    return f"the stage is not throttled: set settings {' and '.join(unset)} above 0" if unset else None


def _plan_throttling(args: ResourceValidationArgs) -> str | None:
    limits = ("rateLimit", "burstLimit")
    unset = [limit for limit in limits if not _positive(value(args.props, "throttleSettings", limit))]
    return f"API keys are not throttled: set throttleSettings {' and '.join(unset)} above 0" if unset else None


def _api_key_required(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "apiKeyRequired") is True:
        return None
    return "the method is open to anyone who finds the URL: set apiKeyRequired=true (one API key per merchant)"


def _validated(args: ResourceValidationArgs) -> str | None:
    models = value(args.props, "requestModels") or {}
    parameters = value(args.props, "requestParameters") or {}
    if (models or parameters) and not is_set(args.props, "requestValidatorId"):
        return "the method declares a request model or parameters but no requestValidatorId, so nothing is validated"
    if models and ANY_CONTENT_TYPE not in set(iter(models)):
        return (
            "requestModels has no $default model: a request with another Content-Type skips validation; "
            "map $default to the same model"
        )
    return None


POLICIES = (
    resource_policy(
        "apigateway-stage-access-logging (CKV_AWS_76)",
        "API Gateway stages write access logs to CloudWatch Logs.",
        {STAGE: _access_logs},
    ),
    resource_policy(
        "apigateway-execution-logging (APIGateway.1)",
        "API Gateway method settings log execution at INFO or ERROR level.",
        {METHOD_SETTINGS: _execution_logs},
    ),
    companion_policy(
        "apigateway-stage-has-method-settings (APIGateway.1)",
        "Every API Gateway stage has method settings (execution logging, metrics, throttling).",
        Companion(
            STAGE,
            METHOD_SETTINGS,
            link="stageName",
            subject_keys=("stageName",),
            fix='add an aws.apigateway.MethodSettings with method_path="*/*" for the stage',
        ),
    ),
    resource_policy(
        "apigateway-data-trace-disabled (CKV_AWS_276)",
        "API Gateway never logs full requests and responses (data tracing off).",
        {METHOD_SETTINGS: _no_data_trace},
    ),
    resource_policy(
        "apigateway-stage-xray-enabled (APIGateway.3)",
        "API Gateway stages trace requests with X-Ray.",
        {STAGE: _xray},
    ),
    resource_policy(
        "apigateway-throttling-configured",
        "API Gateway stages and usage plans set a rate and a burst limit.",
        {METHOD_SETTINGS: _method_throttling, USAGE_PLAN: _plan_throttling},
    ),
    resource_policy(
        "apigateway-method-api-key-required (CKV2_AWS_70)",
        "Every API Gateway method requires an API key.",
        {METHOD: _api_key_required},
    ),
    resource_policy(
        "apigateway-method-request-validated (CKV2_AWS_53)",
        "API Gateway methods with a body model or parameters have a request validator, and body models cover "
        "every content type ($default).",
        {METHOD: _validated},
    ),
)

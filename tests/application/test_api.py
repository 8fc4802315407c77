"""The payments REST API as every environment's plan declares it, and as its component reacts to change."""

import copy
import itertools
import json
import re
from dataclasses import replace

import pytest

from application.api_definition import (
    ACCESS_LOG_FIELDS,
    GATEWAY_ERRORS,
    PAYMENT_REQUEST,
    PAYMENTS_API,
    PROCESS_PAYMENT,
    STAGE_NAME,
    VERIFY_PAYMENT,
    RequestModel,
)
from payments.api_schema import payment_request_schema, verify_request_parameters
from payments.errors import ErrorCode
from shared.contracts import APPLICATION
from shared.environments import ENVIRONMENTS
from tests.application.common import (
    ACCOUNT,
    EXPECTED,
    TYPES,
    api_program,
    application_layer,
    by_name,
    stack_settings,
)
from tests.support import layer_of, one, planned, resources, run_layer
from tooling.checks import policy as policy_check

REQUIRED_RESPONSES = {
    "DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "ACCESS_DENIED",
    "INVALID_API_KEY", "THROTTLED", "QUOTA_EXCEEDED", "UNSUPPORTED_MEDIA_TYPE", "MISSING_AUTHENTICATION_TOKEN",
}  # fmt: skip
# What a gateway response body or access-log record must never contain: VTL references to the request
# ($input, $util, request parameters), and the validator's message, which quotes the offending input.
REQUEST_ECHO = re.compile(r"\$input|\$util|\$method|validationErrorString|error\.message|querystring|\.body|userAgent")


def api_records(env: str, kind: str) -> list[dict]:
    return resources(application_layer(env), TYPES[kind])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_rest_api_is_regional_with_two_routes_under_the_root(env):
    layer = application_layer(env)
    api = one(layer, TYPES["rest_api"])
    assert api["inputs"]["name"] == f"api-{env}-{EXPECTED[env]['suffix']}"
    assert api["inputs"]["endpointConfiguration"] == {"types": "REGIONAL"}
    assert api["inputs"]["apiKeySource"] == "HEADER"
    assert "body" not in api["inputs"]  # discrete resources only: an OpenAPI body would overwrite them
    paths = {r["inputs"]["pathPart"]: r["inputs"]["parentId"] for r in resources(layer, TYPES["resource"])}
    assert paths == dict.fromkeys(("process-payment", "verify-payment"), api["outputs"]["rootResourceId"])
    methods = {(m["inputs"]["httpMethod"], m["inputs"]["resourceId"]) for m in resources(layer, TYPES["method"])}
    ids = {r["inputs"]["pathPart"]: r["id"] for r in resources(layer, TYPES["resource"])}
    assert methods == {("POST", ids["process-payment"]), ("GET", ids["verify-payment"])}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_request_model_is_the_functions_schema_keyed_for_every_content_type(env):
    (model,) = api_records(env, "model")
    assert model["inputs"]["name"] == "PaymentRequest"
    assert model["inputs"]["contentType"] == "application/json"
    assert json.loads(model["inputs"]["schema"]) == payment_request_schema()
    post = next(m for m in api_records(env, "method") if m["inputs"]["httpMethod"] == "POST")
    # `$default` too: a body sent as text/plain (or without Content-Type) is validated all the same
    assert post["inputs"]["requestModels"] == {"application/json": "PaymentRequest", "$default": "PaymentRequest"}
    get = next(m for m in api_records(env, "method") if m["inputs"]["httpMethod"] == "GET")
    assert get["inputs"]["requestParameters"] == verify_request_parameters()
    assert get["inputs"]["requestModels"] == {}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_method_requires_an_api_key_and_goes_through_the_validator(env):
    (validator,) = api_records(env, "validator")
    assert validator["inputs"]["validateRequestBody"] is True
    assert validator["inputs"]["validateRequestParameters"] is True
    methods = api_records(env, "method")
    assert len(methods) == 2
    for method in methods:
        assert method["inputs"]["apiKeyRequired"] is True, method["urn"]
        assert method["inputs"]["authorization"] == "NONE"
        assert method["inputs"]["requestValidatorId"] == validator["id"], method["urn"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_integrations_proxy_to_their_function_and_permissions_name_this_api_method_and_path(env):
    layer = application_layer(env)
    region, suffix = EXPECTED[env]["region"], EXPECTED[env]["suffix"]
    api = one(layer, TYPES["rest_api"])
    execution_arn = api["outputs"]["executionArn"]
    assert execution_arn == f"arn:aws:execute-api:{region}:{ACCOUNT}:{api['id']}"
    integrations = {i["inputs"]["httpMethod"]: i["inputs"] for i in resources(layer, TYPES["integration"])}
    permissions = {p["inputs"]["function"]: p["inputs"] for p in resources(layer, TYPES["permission"])}
    for method, route in (("POST", "process-payment"), ("GET", "verify-payment")):
        function = f"{route}-{env}-{suffix}"
        integration = integrations[method]
        assert integration["type"] == "AWS_PROXY"
        assert integration["integrationHttpMethod"] == "POST"
        assert integration["uri"] == (
            f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
            f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function}/invocations"
        )
        assert permissions[function] == {
            "action": "lambda:InvokeFunction",
            "function": function,
            "principal": "apigateway.amazonaws.com",
            "sourceArn": f"{execution_arn}/*/{method}/{route}",
        }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_gateway_responses_use_the_functions_error_shape_and_never_echo_the_request(env):
    found = {r["inputs"]["responseType"]: r["inputs"] for r in api_records(env, "response")}
    assert set(found) >= REQUIRED_RESPONSES
    for response_type, response in found.items():
        assert set(response["responseTemplates"]) == {"application/json"}, response_type
        template = response["responseTemplates"]["application/json"]
        assert "$" not in template and "#" not in template, f"{response_type}: templates are static text"
        assert not REQUEST_ECHO.search(template), response_type
        body = json.loads(template)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, response_type
        assert re.fullmatch(r"[A-Z][A-Z_]+", body["error"]["code"]), response_type
        assert response["responseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"
    statuses = {t: r.get("statusCode") for t, r in found.items()}
    assert statuses["BAD_REQUEST_BODY"] == statuses["BAD_REQUEST_PARAMETERS"] == "400"
    assert statuses["THROTTLED"] == statuses["QUOTA_EXCEEDED"] == "429"
    assert statuses["UNSUPPORTED_MEDIA_TYPE"] == "415"
    assert statuses["MISSING_AUTHENTICATION_TOKEN"] == "404"
    assert statuses["DEFAULT_4XX"] is None and statuses["DEFAULT_5XX"] is None  # keep AWS's status


def test_gateway_error_codes_shared_with_the_functions_are_spelled_as_theirs():
    shared = {ErrorCode(e.code) for e in GATEWAY_ERRORS if e.code in ErrorCode.__members__}
    assert {ErrorCode.VALIDATION_FAILED, ErrorCode.INTERNAL_ERROR} <= shared
    bad_body = next(e for e in GATEWAY_ERRORS if e.response_type == "BAD_REQUEST_BODY")
    assert bad_body.code == ErrorCode.VALIDATION_FAILED  # the code the handlers answer for a schema violation


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stage_traces_and_writes_json_access_logs_without_request_data(env):
    layer = application_layer(env)
    stage = one(layer, TYPES["stage"])
    groups = by_name(layer, "log_group")
    assert stage["inputs"]["stageName"] == STAGE_NAME
    assert stage["inputs"]["xrayTracingEnabled"] is True
    access = stage["inputs"]["accessLogSettings"]
    assert access["destinationArn"] == groups["api-access-logs"]["outputs"]["arn"]
    record = json.loads(access["format"])
    assert record == ACCESS_LOG_FIELDS
    assert {"requestId", "status", "apiKeyId", "resourcePath", "xrayTraceId"} <= set(record)
    assert not REQUEST_ECHO.search(access["format"])
    assert stage["inputs"]["deployment"] == one(layer, TYPES["deployment"])["id"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_log_groups_exist_first_encrypted_with_their_own_key_and_kept_per_environment(env):
    layer = application_layer(env)
    groups = by_name(layer, "log_group")
    api = one(layer, TYPES["rest_api"])
    retention = EXPECTED[env]["log_retention"]
    key = by_name(layer, "key")["api-logs-key"]
    assert groups["api-access-logs"]["inputs"]["name"] == f"api-access-logs-{env}-{EXPECTED[env]['suffix']}"
    assert groups["api-execution-logs"]["inputs"]["name"] == f"API-Gateway-Execution-Logs_{api['id']}/{STAGE_NAME}"
    for group in (groups["api-access-logs"], groups["api-execution-logs"]):
        assert group["inputs"]["retentionInDays"] == retention
        assert group["inputs"]["kmsKeyId"] == key["outputs"]["arn"]
    policy = json.loads(key["inputs"]["policy"])
    (logs,) = [s for s in policy["Statement"] if s.get("Sid") == "CloudWatchLogsEncrypts"]
    arns = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert sorted(arns) == sorted(groups[name]["outputs"]["arn"] for name in ("api-access-logs", "api-execution-logs"))
    # AWS would create the execution log group itself (unencrypted, kept forever) if logging came first
    settings, stage = one(layer, TYPES["method_settings"]), one(layer, TYPES["stage"])
    assert groups["api-execution-logs"]["urn"] in settings["dependencies"]
    assert groups["api-execution-logs"]["urn"] in stage["dependencies"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_throttling_quota_and_logging_level_come_from_the_stack_file(env):
    configured = stack_settings(env)
    throttle, quota = configured["apiThrottle"], configured["apiQuota"]
    settings = one(application_layer(env), TYPES["method_settings"])["inputs"]
    assert settings["methodPath"] == "*/*"
    assert settings["stageName"] == STAGE_NAME
    assert settings["settings"] == {
        "loggingLevel": configured["apiLoggingLevel"],
        "dataTraceEnabled": False,
        "metricsEnabled": True,
        "throttlingRateLimit": throttle["rateLimit"],
        "throttlingBurstLimit": throttle["burstLimit"],
    }
    plan = one(application_layer(env), TYPES["usage_plan"])["inputs"]
    assert plan["throttleSettings"] == {"rateLimit": throttle["rateLimit"], "burstLimit": throttle["burstLimit"]}
    assert plan["quotaSettings"] == {"limit": quota["limit"], "period": quota["period"]}
    api = one(application_layer(env), TYPES["rest_api"])
    assert plan["apiStages"] == [{"apiId": api["id"], "stage": STAGE_NAME}]


def test_environments_scale_throttling_small_medium_large():
    rates = [stack_settings(env)["apiThrottle"]["rateLimit"] for env in ENVIRONMENTS]
    quotas = [stack_settings(env)["apiQuota"]["limit"] for env in ENVIRONMENTS]
    assert all(lower < higher for lower, higher in itertools.pairwise(rates)), rates
    assert all(lower < higher for lower, higher in itertools.pairwise(quotas)), quotas
    for env in ENVIRONMENTS:
        assert stack_settings(env)["apiLoggingLevel"] == EXPECTED[env]["api_logging"], env


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_api_key_per_merchant_whose_value_never_reaches_plain_state(env):
    layer = application_layer(env)
    merchants = stack_settings(env)["merchants"]
    keys = resources(layer, TYPES["api_key"])
    suffix = EXPECTED[env]["suffix"]
    assert sorted(k["inputs"]["name"] for k in keys) == sorted(f"api-key-{m}-{env}-{suffix}" for m in merchants)
    plan = one(layer, TYPES["usage_plan"])
    plan_keys = resources(layer, TYPES["usage_plan_key"])
    assert sorted(k["inputs"]["keyId"] for k in plan_keys) == sorted(k["id"] for k in keys)
    for key in keys:
        assert "value" not in key["inputs"]  # AWS generates it
        assert key["inputs"]["enabled"] is True
        assert "value" in key["additionalSecretOutputs"], key["urn"]
    for plan_key in plan_keys:
        assert plan_key["inputs"] == {
            "keyId": plan_key["inputs"]["keyId"],
            "keyType": "API_KEY",
            "usagePlanId": plan["id"],
        }
        # the provider copies the key's value into the UsagePlanKey: secret there too
        assert "value" in plan_key["additionalSecretOutputs"], plan_key["urn"]
    exported = application_layer(env)["outputs"]["apiKeyIds"]
    assert exported == {k["inputs"]["tags"]["MerchantId"]: k["id"] for k in keys}
    assert set(exported) == set(merchants)


def test_the_merchants_table_maps_each_key_id_to_its_merchant():
    run = run_layer("application", "staging", body=api_program())
    keys = {k["inputs"]["tags"]["MerchantId"]: k["id"] for k in resources(run, TYPES["api_key"])}
    entries = [
        json.loads(i["inputs"]["item"]) for i in resources(run, TYPES["table_item"]) if i["inputs"]["item"][0] == "{"
    ]
    assert {e["lookup"]["S"]: e["value"]["S"] for e in entries} == {f"api-key/{k}": m for m, k in keys.items()}
    assert set(keys) == set(stack_settings("staging")["merchants"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_deployment_snapshots_every_part_of_the_definition(env):
    layer = application_layer(env)
    deployment = one(layer, TYPES["deployment"])
    snapshot_kinds = ("method", "integration", "response", "model", "validator", "resource")
    parts = {r["urn"] for kind in snapshot_kinds for r in resources(layer, TYPES[kind])}
    assert parts <= set(deployment["dependencies"]), sorted(parts - set(deployment["dependencies"]))
    triggers = deployment["inputs"]["triggers"]
    assert triggers["definition"] == PAYMENTS_API.digest()
    integrations = {
        f"{i['inputs']['httpMethod']} /": i["inputs"]["uri"] for i in resources(layer, TYPES["integration"])
    }
    assert triggers["POST /process-payment"] == integrations["POST /"]
    assert triggers["GET /verify-payment"] == integrations["GET /"]


def _triggers(run) -> dict[str, str]:
    return one(run, TYPES["deployment"])["inputs"]["triggers"]


def test_deployment_is_replaced_when_a_model_a_response_or_an_integration_changes():
    baseline = _triggers(run_layer("application", "dev", body=api_program()))
    assert _triggers(run_layer("application", "dev", body=api_program())) == baseline  # deterministic

    schema = {**PAYMENT_REQUEST.schema, "required": [*PAYMENT_REQUEST.schema["required"], "extra"]}
    new_model = replace(
        PAYMENTS_API,
        routes=(replace(PROCESS_PAYMENT, request_model=RequestModel("PaymentRequest", schema)), VERIFY_PAYMENT),
    )
    changed_model = _triggers(run_layer("application", "dev", body=api_program(new_model)))
    assert changed_model["definition"] != baseline["definition"]

    errors = tuple(
        replace(e, message="changed") if e.response_type == "THROTTLED" else e for e in PAYMENTS_API.gateway_errors
    )
    changed_response = _triggers(
        run_layer("application", "dev", body=api_program(replace(PAYMENTS_API, gateway_errors=errors)))
    )
    assert changed_response["definition"] not in {baseline["definition"], changed_model["definition"]}

    moved = _triggers(run_layer("application", "dev", body=api_program(function_suffix="-v2")))
    assert moved["definition"] == baseline["definition"]
    assert moved["POST /process-payment"] != baseline["POST /process-payment"]
    assert "process-payment-v2-dev-d01" in moved["POST /process-payment"]


def test_the_definition_hash_is_the_same_in_every_environment():
    """So that `make parity` sees no difference: environments differ only in their integration URIs."""
    digests = {
        one(application_layer(env), TYPES["deployment"])["inputs"]["triggers"]["definition"] for env in ENVIRONMENTS
    }
    assert digests == {PAYMENTS_API.digest()}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_owning_stack_sets_the_account_cloudwatch_role_before_the_stage_logs(env):
    layer = application_layer(env)
    assert stack_settings(env)["ownsApiGatewayAccount"] == "true"
    account = one(layer, TYPES["account"])
    role = by_name(layer, "role")["api-account-role"]
    assert account["inputs"]["cloudwatchRoleArn"] == role["outputs"]["arn"]
    assert account["retainOnDelete"] is False  # teardown policy: destroy resets it (pulumi-aws v7)
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "apigateway.amazonaws.com"}]
    policy = json.loads(by_name(layer, "role_policy")["api-account-role-policy"]["inputs"]["policy"])
    resources_named = [
        r for s in policy["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert "*" not in resources_named
    assert all(r.startswith(f"arn:aws:logs:{EXPECTED[env]['region']}:{ACCOUNT}:log-group:") for r in resources_named)
    # the stage and its method settings wait for the account settings
    assert account["urn"] in one(layer, TYPES["stage"])["dependencies"]
    assert account["urn"] in one(layer, TYPES["method_settings"])["dependencies"]


def test_a_stack_that_does_not_own_the_account_settings_declares_none():
    # dev moved into staging's region: staging owns the settings there (validated across the stack files)
    shared_region = {"application:ownsApiGatewayAccount": "false", "platform:region": EXPECTED["staging"]["region"]}
    run = run_layer("application", "dev", shared_region, body=api_program())
    assert resources(run, TYPES["account"]) == []
    assert resources(run, TYPES["role"]) == []
    assert one(run, TYPES["stage"])["inputs"]["xrayTracingEnabled"] is True


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_contract_exports_ids_and_urls_never_key_values(env):
    outputs = application_layer(env)["outputs"]
    api = one(application_layer(env), TYPES["rest_api"])
    base = f"https://{api['id']}.execute-api.{EXPECTED[env]['region']}.amazonaws.com/{STAGE_NAME}"
    assert outputs["apiId"] == api["id"]
    assert outputs["apiName"] == f"api-{env}-{EXPECTED[env]['suffix']}"
    assert outputs["apiStageName"] == STAGE_NAME
    assert outputs["apiEndpoint"] == base
    assert outputs["processPaymentUrl"] == f"{base}/process-payment"
    assert outputs["verifyPaymentUrl"] == f"{base}/verify-payment"
    assert {k for k in APPLICATION.exports if k.startswith("api") or k.endswith("Url")} <= set(outputs)
    assert "value" not in json.dumps(outputs).lower()


# What a careless change to the API would do to the plan, and the policy that must catch it.
BREAKAGES = [
    ("method", lambda i: {**i, "apiKeyRequired": False}, "apigateway-method-api-key-required (CKV2_AWS_70)"),
    ("method", lambda i: {**i, "requestModels": {"application/json": "PaymentRequest"}} if i["requestModels"] else i,
     "apigateway-method-request-validated (CKV2_AWS_53)"),
    ("method_settings", lambda i: {**i, "settings": {**i["settings"], "dataTraceEnabled": True}},
     "apigateway-data-trace-disabled (CKV_AWS_276)"),
    ("method_settings", lambda i: {**i, "settings": {**i["settings"], "loggingLevel": "OFF"}},
     "apigateway-execution-logging (APIGateway.1)"),
    ("stage", lambda i: {k: v for k, v in i.items() if k != "accessLogSettings"},
     "apigateway-stage-access-logging (CKV_AWS_76)"),
    ("stage", lambda i: {**i, "xrayTracingEnabled": False}, "apigateway-stage-xray-enabled (APIGateway.3)"),
    ("usage_plan", lambda i: {k: v for k, v in i.items() if k != "throttleSettings"},
     "apigateway-throttling-configured"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "break_inputs", "policy"), BREAKAGES, ids=[b[2] for b in BREAKAGES])
def test_the_policy_pack_catches_a_broken_api_in_the_plan(kind, break_inputs, policy):
    plan = copy.deepcopy(planned("dev"))
    layer = layer_of(plan, "application")
    for record in resources(layer, TYPES[kind]):
        record["inputs"] = break_inputs(record["inputs"])
    found = {v.policy for v in policy_check.check_plan(plan)}
    assert found == {policy}

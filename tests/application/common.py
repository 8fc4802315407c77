"""Shared expectations, readers and stand-ins for the application-layer tests."""

import json
from collections.abc import Callable
from typing import Any

import pulumi

from application.api import ApiFunction, PaymentApi, PaymentApiArgs
from application.api_account import ApiGatewayAccount
from application.api_definition import PAYMENTS_API, ApiDefinition
from application.api_keys import MerchantApiKeys, MerchantApiKeysArgs, MerchantUsagePlan, MerchantUsagePlanArgs
from application.merchant_directory import MerchantDirectory, MerchantDirectoryArgs
from application.settings import ApplicationSettings
from shared.bootstrap import start_layer
from shared.context import LayerContext
from shared.stack_files import read_layer_config
from tests.support import layer_of, per_environment, planned, resources

ACCOUNT = "123456789012"

# The environment table, as the application layer must show it in the plan.
EXPECTED: dict[str, dict[str, Any]] = per_environment("tests/application/common.py EXPECTED", {
    "dev": {
        "suffix": "d01", "region": "us-east-1", "memory": 512, "api_concurrency": 1, "worker_concurrency": 2,
        "queue_concurrency": 2, "max_receive_count": 2, "log_retention": 30,
        "emails": ["payments-dev@example.com"], "waf": False, "domain": None, "api_logging": "INFO",
        "instance_type": "t4g.small",
    },
    "staging": {
        "suffix": "s01", "region": "us-east-2", "memory": 1024, "api_concurrency": 10, "worker_concurrency": 5,
        "queue_concurrency": 5, "max_receive_count": 3, "log_retention": 30,
        "emails": ["payments-staging@example.com"], "waf": True, "api_logging": "INFO", "instance_type": "t4g.small",
        "domain": ("pay.staging.payments.example.com", "Z0STAGINGPAYMENTS01"),
    },
    "prod": {
        "suffix": "p01", "region": "eu-west-1", "memory": 2048, "api_concurrency": 100, "worker_concurrency": 20,
        "queue_concurrency": 20, "max_receive_count": 5, "log_retention": 365,
        "emails": ["payments-oncall@example.com"], "waf": True, "api_logging": "ERROR", "instance_type": "t4g.medium",
        "domain": ("pay.payments.example.com", "Z0PRODPAYMENTS0001"),
    },
})  # fmt: skip
TYPES = {
    "function": "aws:lambda/function:Function",
    "log_group": "aws:cloudwatch/logGroup:LogGroup",
    "role": "aws:iam/role:Role",
    "role_policy": "aws:iam/rolePolicy:RolePolicy",
    "mapping": "aws:lambda/eventSourceMapping:EventSourceMapping",
    "invocation": "aws:lambda/invocation:Invocation",
    "queue": "aws:sqs/queue:Queue",
    "redrive_allow": "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    "topic": "aws:sns/topic:Topic",
    "topic_policy": "aws:sns/topicPolicy:TopicPolicy",
    "subscription": "aws:sns/topicSubscription:TopicSubscription",
    "rest_api": "aws:apigateway/restApi:RestApi",
    "resource": "aws:apigateway/resource:Resource",
    "method": "aws:apigateway/method:Method",
    "integration": "aws:apigateway/integration:Integration",
    "model": "aws:apigateway/model:Model",
    "validator": "aws:apigateway/requestValidator:RequestValidator",
    "response": "aws:apigateway/response:Response",
    "deployment": "aws:apigateway/deployment:Deployment",
    "stage": "aws:apigateway/stage:Stage",
    "method_settings": "aws:apigateway/methodSettings:MethodSettings",
    "usage_plan": "aws:apigateway/usagePlan:UsagePlan",
    "api_key": "aws:apigateway/apiKey:ApiKey",
    "usage_plan_key": "aws:apigateway/usagePlanKey:UsagePlanKey",
    "table_item": "aws:dynamodb/tableItem:TableItem",
    "account": "aws:apigateway/account:Account",
    "permission": "aws:lambda/permission:Permission",
    "key": "aws:kms/key:Key",
}
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
CERTIFICATE = "aws:acm/certificate:Certificate"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def application_layer(env: str) -> dict[str, Any]:
    return layer_of(planned(env), "application")


def upstream_outputs(env: str, layer: str) -> dict[str, Any]:
    outputs: dict[str, Any] = layer_of(planned(env), layer)["outputs"]
    return outputs


application, upstream = application_layer, upstream_outputs


def by_name(layer: Any, kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one type (a TYPES key or a type token) keyed by their logical name (the last URN segment)."""
    return {r["urn"].split("::")[-1]: r for r in resources(layer, TYPES.get(kind, kind))}


def named(layer: Any, kind: str, logical: str) -> dict[str, Any]:
    found = by_name(layer, kind)
    assert logical in found, f"no {kind} {logical!r}; have {sorted(found)}"
    return found[logical]


def function(layer: Any, name: str) -> dict[str, Any]:
    return named(layer, "function", f"{name}-function")


def role_policy(layer: Any, name: str) -> dict[str, Any]:
    document = json.loads(named(layer, "role_policy", f"{name}-role-policy")["inputs"]["policy"])
    assert document["Version"] == "2012-10-17"
    return document


def stack_settings(env: str) -> dict[str, Any]:
    """The `application:` keys of an environment (its stack file over application/Pulumi.yaml's), decoded."""
    raw = read_layer_config("application", env)
    return {k.split(":", 1)[1]: json.loads(v) if v[:1] in "[{" else v for k, v in raw.items() if k.startswith("app")}


def function_stand_ins(ctx: LayerContext, definition: ApiDefinition, suffix: str = "") -> dict[str, ApiFunction]:
    """Stand-ins for the functions behind the routes, named `<route>[suffix]-<env>-<suffix>` (known by name)."""
    return {
        route.path: ApiFunction.named(ctx.name(f"{route.path}{suffix}", "lambda"), ctx) for route in definition.routes
    }


# What the data layer's exports would be for the API components alone: the merchants table and the key of
# the keyed hashes (a secret).
STAND_IN_TABLE = "merchants-stand-in"
STAND_IN_KEY_HASH_KEY = "stand-in key of the keyed hashes, 64 characters long, for tests!!"


def api_program(definition: ApiDefinition = PAYMENTS_API, function_suffix: str = "") -> Callable[[], None]:
    """A program declaring only the API components and the merchants' entries, as application/__main__.py
    does."""

    def body() -> None:
        config, ctx = start_layer("application", ApplicationSettings)
        settings = config.layer
        opts = ctx.component_opts()
        account = ApiGatewayAccount("api-account", ctx, opts) if settings.owns_api_gateway_account else None
        api = PaymentApi(
            "api",
            PaymentApiArgs(
                functions=function_stand_ins(ctx, definition, function_suffix),
                throttle=settings.api_throttle,
                logging_level=settings.api_logging_level,
                log_retention_days=config.platform.log_retention_days,
                depends_on=[account] if account else [],
                definition=definition,
            ),
            ctx,
            opts,
        )
        keys = MerchantApiKeys("api-keys", MerchantApiKeysArgs(settings.all_merchants), ctx, opts)
        directory = MerchantDirectory(
            "merchant-directory",
            MerchantDirectoryArgs(STAND_IN_TABLE, keys.keys, pulumi.Output.secret(STAND_IN_KEY_HASH_KEY)),
            ctx,
            opts,
        )
        MerchantUsagePlan(
            "api-usage-plan",
            MerchantUsagePlanArgs(
                api.api_id,
                api.stage_name,
                keys.keys,
                settings.api_throttle,
                settings.api_quota,
                after=directory.entries,
            ),
            ctx,
            opts,
        )

    return body

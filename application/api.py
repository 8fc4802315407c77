"""The payments REST API: API Gateway in front of the process-payment and verify-payment functions.

Built from `application/api_definition.py` (routes, models from `payments.api_schema`, gateway
responses, access-log format) as discrete resources, never an OpenAPI `body` (whose default
`overwrite` mode would wipe separately declared resources). Every method needs an API key (one
per merchant: application/api_keys.py) and goes through the request validator; the Deployment is
replaced whenever the definition changes (`triggers` = sha256 of the definition and the
integration URIs), since API Gateway serves a stage only what its deployment snapshotted.

Logging: JSON access logs (no body, no query string) and execution logs without data tracing go
to log groups created here first, encrypted with a key of their own and kept
`platform:logRetentionDays`; otherwise API Gateway would create the execution log group itself,
unencrypted and kept forever. Both need the account's CloudWatch role (application/api_account.py),
which one stack per account and region owns.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from application.api_definition import (
    ACCESS_LOG_FORMAT,
    API_KEY_SOURCE,
    ENDPOINT_TYPE,
    GATEWAY_RESPONSE_HEADERS,
    JSON,
    PAYMENTS_API,
    STAGE_NAME,
    ApiDefinition,
    Route,
)
from application.api_settings import ApiThrottle
from shared import iam
from shared.context import LayerContext

EXECUTION_LOG_GROUP_PREFIX = "API-Gateway-Execution-Logs_"  # AWS's fixed name: <prefix><api id>/<stage>
ACCESS_LOG_GROUP_TYPE = "api-access-logs"


@dataclass(frozen=True)
class ApiFunction:
    """The Lambda function behind a route: its name (invoke permission) and invoke ARN (integration URI)."""

    name: pulumi.Input[str]
    invoke_arn: pulumi.Input[str]

    @staticmethod
    def named(function_name: str, ctx: LayerContext) -> "ApiFunction":
        """A function known only by name (declared elsewhere), in this stack's account and region."""
        arn = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{function_name}"
        return ApiFunction(
            function_name, f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        )


@dataclass(frozen=True)
class PaymentApiArgs:
    functions: Mapping[str, ApiFunction]  # the API-facing functions by name: each route goes to its namesake
    throttle: ApiThrottle  # the stage's limit for all callers together (MethodSettings */*)
    logging_level: str  # execution logs: INFO or ERROR
    log_retention_days: int
    # The ApiGatewayAccount when this stack owns it: logging fails until the account has its role.
    depends_on: Sequence[pulumi.Resource] = ()
    definition: ApiDefinition = PAYMENTS_API

    def __post_init__(self) -> None:
        routes = [route.path for route in self.definition.routes]
        unserved = [path for path in routes if path not in self.functions]
        unrouted = sorted(set(self.functions) - set(routes))
        if unserved or unrouted:
            raise ValueError(
                f"every route needs the function named after it and every function a route: routes without "
                f"a function {unserved}, functions without a route {unrouted}"
            )

    def function_of(self, route: Route) -> ApiFunction:
        return self.functions[route.path]


class PaymentApi(pulumi.ComponentResource):
    rest_api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    deployment: aws.apigateway.Deployment
    access_log_group: aws.cloudwatch.LogGroup
    execution_log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: PaymentApiArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:PaymentApi", name, None, opts)
        api_name = ctx.name("api", "apigateway")
        self.rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=api_name,
            description=f"Payments API of {ctx.platform.environment}-{ctx.platform.environment_suffix}",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types=ENDPOINT_TYPE),
            api_key_source=API_KEY_SOURCE,
            tags=ctx.tags(api_name),
            opts=ctx.tagged_child(self),
        )
        snapshot, permissions = self._definition(name, args, ctx)
        self.deployment = self._deployment(name, args, snapshot, ctx)
        self.access_log_group, self.execution_log_group = self._log_groups(name, args.log_retention_days, ctx)
        self.stage = self._stage(name, args, permissions, ctx)

        self.api_id = self.rest_api.id
        self.api_name = self.rest_api.name
        self.stage_name = self.stage.stage_name
        self.endpoint = self.stage.invoke_url
        self.route_urls = {
            r.path: pulumi.Output.concat(self.stage.invoke_url, "/", r.path) for r in args.definition.routes
        }
        self.register_outputs(
            {
                "apiId": self.api_id,
                "stageName": self.stage_name,
                "endpoint": self.endpoint,
                "accessLogGroupName": self.access_log_group.name,
                "executionLogGroupName": self.execution_log_group.name,
            }
        )

    def _definition(
        self, name: str, args: PaymentApiArgs, ctx: LayerContext
    ) -> tuple[list[pulumi.Resource], list[pulumi.Resource]]:
        """The validator, models, routes and gateway responses (what a deployment snapshots), and the
        functions' permissions for API Gateway to invoke them."""
        api, definition = self.rest_api, args.definition
        validator = aws.apigateway.RequestValidator(
            f"{name}-validator",
            rest_api=api.id,
            name=ctx.name("api-validator", "apigateway"),
            validate_request_body=True,
            validate_request_parameters=True,
            opts=ctx.child(self),
        )
        models = {
            model_name: aws.apigateway.Model(
                f"{name}-model-{model_name}",
                rest_api=api.id,
                name=model_name,
                content_type=JSON,
                description=f"{model_name}, generated from payments.api_schema",
                schema=model.schema_json(),
                opts=ctx.child(self),
            )
            for model_name, model in definition.models.items()
        }
        snapshot: list[pulumi.Resource] = [validator, *models.values()]
        permissions: list[pulumi.Resource] = []
        for route in definition.routes:
            function = args.function_of(route)
            resource = aws.apigateway.Resource(
                f"{name}-{route.path}",
                rest_api=api.id,
                parent_id=api.root_resource_id,
                path_part=route.path,
                opts=ctx.child(self),
            )
            method = aws.apigateway.Method(
                f"{name}-{route.path}-{route.method.lower()}",
                rest_api=api.id,
                resource_id=resource.id,
                http_method=route.method,
                authorization="NONE",
                api_key_required=True,
                request_validator_id=validator.id,
                request_models={
                    content_type: models[model].name for content_type, model in route.request_models.items()
                },
                request_parameters=dict(route.request_parameters),
                opts=ctx.child(self),
            )
            integration = aws.apigateway.Integration(
                f"{name}-{route.path}-{route.method.lower()}-integration",
                rest_api=api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="AWS_PROXY",
                integration_http_method="POST",  # Lambda is always invoked with POST
                uri=function.invoke_arn,
                opts=ctx.child(self),
            )
            permissions.append(
                aws.lambda_.Permission(
                    f"{name}-{route.path}-invoke",
                    action="lambda:InvokeFunction",
                    function=function.name,
                    principal="apigateway.amazonaws.com",
                    source_arn=api.execution_arn.apply(route.source_arn),
                    opts=ctx.child(self),
                )
            )
            snapshot += [resource, method, integration]
        for error in definition.gateway_errors:
            snapshot.append(
                aws.apigateway.Response(
                    f"{name}-response-{error.response_type.lower().replace('_', '-')}",
                    rest_api_id=api.id,
                    response_type=error.response_type,
                    status_code=str(error.status_code) if error.status_code else None,
                    response_templates={JSON: error.template()},
                    response_parameters=GATEWAY_RESPONSE_HEADERS,
                    opts=ctx.child(self),
                )
            )
        return snapshot, permissions

    def _deployment(
        self, name: str, args: PaymentApiArgs, snapshot: Sequence[pulumi.Resource], ctx: LayerContext
    ) -> aws.apigateway.Deployment:
        """Replaced (create first, then the stage moves) whenever the definition or an integration changes."""
        definition = args.definition
        return aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            description="Payments API; replaced when its definition or an integration changes (triggers)",
            triggers=definition.triggers({r.path: args.function_of(r).invoke_arn for r in definition.routes}),
            opts=ctx.child(self, depends_on=list(snapshot)),
        )

    def _log_groups(
        self, name: str, retention_days: int, ctx: LayerContext
    ) -> tuple[aws.cloudwatch.LogGroup, aws.cloudwatch.LogGroup]:
        """Access and execution log groups, created before API Gateway would create them, encrypted
        with a key of their own, kept `retention_days`."""
        access_group_name = ctx.name(ACCESS_LOG_GROUP_TYPE, "logs")
        execution_group_name = pulumi.Output.concat(EXECUTION_LOG_GROUP_PREFIX, self.rest_api.id, "/", STAGE_NAME)
        key = self._log_key(name, ctx, [access_group_name, execution_group_name])
        access = self._log_group(
            name, "access", group_name=access_group_name, key=key, retention_days=retention_days, ctx=ctx
        )
        execution = self._log_group(
            name, "execution", group_name=execution_group_name, key=key, retention_days=retention_days, ctx=ctx
        )
        return access, execution

    def _stage(
        self, name: str, args: PaymentApiArgs, permissions: Sequence[pulumi.Resource], ctx: LayerContext
    ) -> aws.apigateway.Stage:
        """The stage and its method settings (execution logs, metrics, throttling)."""
        api = self.rest_api
        logging_ready = [*args.depends_on, self.execution_log_group]
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=self.deployment.id,
            stage_name=STAGE_NAME,
            description=f"Payments API stage {STAGE_NAME}",
            xray_tracing_enabled=True,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=self.access_log_group.arn, format=ACCESS_LOG_FORMAT
            ),
            tags=ctx.tags(ctx.name("api-stage")),
            # Live only once the functions accept calls from it and its logs have somewhere to go.
            opts=ctx.tagged_child(self, depends_on=[*permissions, *logging_ready]),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                logging_level=args.logging_level,
                data_trace_enabled=False,  # would log full request bodies (CKV_AWS_276)
                metrics_enabled=True,
                throttling_rate_limit=args.throttle.rate_limit,
                throttling_burst_limit=args.throttle.burst_limit,
            ),
            opts=ctx.child(self, depends_on=logging_ready),
        )
        return stage

    def _log_group(
        self,
        name: str,
        kind: str,
        *,
        group_name: pulumi.Input[str],
        key: aws.kms.Key,
        retention_days: int,
        ctx: LayerContext,
    ) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{name}-{kind}-logs",
            name=group_name,
            retention_in_days=retention_days,
            kms_key_id=key.arn,
            tags=ctx.tags(ctx.name(f"api-{kind}-logs", "logs")),
            opts=ctx.tagged_child(self),
        )

    def _log_key(self, name: str, ctx: LayerContext, group_names: Sequence[pulumi.Input[str]]) -> aws.kms.Key:
        """A key CloudWatch Logs may use for exactly these log groups (the data key's policy only admits
        `*-<env>-<suffix>*` groups, and AWS names the execution log group after the API id)."""
        region, account = ctx.region, ctx.account_id
        logs = iam.logs_key_statement(region, account, "*")
        logs["Condition"] = {
            "ArnEquals": {
                "kms:EncryptionContext:aws:logs:arn": [
                    pulumi.Output.concat(f"arn:aws:logs:{region}:{account}:log-group:", group) for group in group_names
                ]
            }
        }
        key = aws.kms.Key(
            f"{name}-logs-key",
            description=f"API Gateway logs of {ctx.platform.environment}-{ctx.platform.environment_suffix}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=iam.to_json(iam.document(iam.key_administration_statement(account), logs)),
            tags=ctx.tags(ctx.name("kms-api-logs")),
            opts=ctx.tagged_child(self),
        )
        aws.kms.Alias(
            f"{name}-logs-key-alias",
            name=ctx.namer.check(f"alias/{ctx.name('api-logs')}", "kms-alias"),
            target_key_id=key.key_id,
            opts=ctx.child(self),
        )
        return key

"""Application layer: reads the networking and data contracts; declares the payments API (API Gateway,
merchant API keys, the account's CloudWatch role when this stack owns it). The functions, queues and
topic arrive with their own change."""

import pulumi

from application.api import ApiFunction, PaymentApi, PaymentApiArgs
from application.api_account import ApiGatewayAccount
from application.api_keys import MerchantApiKeys, MerchantApiKeysArgs
from application.settings import ApplicationSettings
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration ---
config, ctx = start_layer("application", ApplicationSettings)
settings, platform = config.layer, config.platform
networking = UpstreamStack("networking", "application", config.platform)
data = UpstreamStack("data", "application", config.platform)
opts = ctx.component_opts()

# --- API Gateway ---
# Stand-ins until the payment functions are declared in this layer: the names they will have.
# When they are, pass ApiFunction(function.name, function.invoke_arn) instead.
process_payment_function = ApiFunction.named(ctx.name("process-payment", "lambda"), ctx)
verify_payment_function = ApiFunction.named(ctx.name("verify-payment", "lambda"), ctx)

api_account = ApiGatewayAccount("api-account", ctx, opts) if settings.owns_api_gateway_account else None
api = PaymentApi(
    "api",
    PaymentApiArgs(
        process_payment=process_payment_function,
        verify_payment=verify_payment_function,
        throttle=settings.api_throttle,
        logging_level=settings.api_logging_level,
        log_retention_days=platform.log_retention_days,
        depends_on=[api_account] if api_account else [],
    ),
    ctx,
    opts,
)
api_keys = MerchantApiKeys(
    "api-keys",
    MerchantApiKeysArgs(
        rest_api_id=api.api_id,
        stage_name=api.stage_name,
        merchants=settings.merchants,
        throttle=settings.api_throttle,
        quota=settings.api_quota,
    ),
    ctx,
    opts,
)
# api_keys.merchants_by_api_key_id is the functions' MERCHANTS_BY_API_KEY_ID.

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
pulumi.export("apiId", api.api_id)
pulumi.export("apiName", api.api_name)
pulumi.export("apiStageName", api.stage_name)
pulumi.export("apiEndpoint", api.endpoint)
pulumi.export("processPaymentUrl", api.route_urls["process-payment"])
pulumi.export("verifyPaymentUrl", api.route_urls["verify-payment"])
pulumi.export("apiKeyIds", api_keys.api_key_ids)

"""One API key per merchant (`application:merchants` and `application:environmentMerchants`) in one
usage plan on the payments API stage.

The key identifies the merchant: API Gateway checks it and hands its id to the function
(`requestContext.identity.apiKeyId`); the merchants table maps key ids to merchants
(`application/merchant_directory.py`: ids and keyed digests only, never key values).

AWS generates the key values. They stay out of plain state: `ApiKey.value` and
`UsagePlanKey.value` (the same key, repeated by the provider) are registered as secret outputs.
Nothing exports a value; a merchant gets its key with `aws apigateway get-api-key --api-key <id>
--include-value` (application/README.md). Rotating a key is replacing its ApiKey
(`pulumi up --replace <urn>`): a new value, and a new id, which the merchants table follows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from application.api_settings import ApiQuota, ApiThrottle
from shared.context import LayerContext

SECRET_VALUE = ["value"]


@dataclass(frozen=True)
class MerchantApiKeysArgs:
    merchants: Sequence[str]


class MerchantApiKeys(pulumi.ComponentResource):
    """The keys alone, before the API that checks them exists: the merchants table is written from them
    (the ALB door checks `x-api-key` against it; API Gateway checks keys itself)."""

    keys: dict[str, aws.apigateway.ApiKey]
    api_key_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: MerchantApiKeysArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:MerchantApiKeys", name, None, opts)
        self.keys = {}
        for merchant in args.merchants:
            key_name = ctx.name(f"api-key-{merchant}", "apigateway")
            self.keys[merchant] = aws.apigateway.ApiKey(
                f"{name}-{merchant}",
                name=key_name,
                description=f"API key of merchant {merchant}",
                enabled=True,
                tags={**ctx.tags(key_name), "MerchantId": merchant},
                opts=ctx.tagged_child(self, additional_secret_outputs=SECRET_VALUE),
            )
        self.api_key_ids = {merchant: key.id for merchant, key in self.keys.items()}
        self.register_outputs({"apiKeyIds": self.api_key_ids})


@dataclass(frozen=True)
class MerchantUsagePlanArgs:
    rest_api_id: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    keys: Mapping[str, aws.apigateway.ApiKey]  # merchant -> its key
    throttle: ApiThrottle  # per API key
    quota: ApiQuota  # per API key
    # merchant -> what must exist before its key is accepted (its merchants-table entry, so that no request
    # with a new key finds no merchant and has that answer kept)
    after: Mapping[str, pulumi.Resource]


class MerchantUsagePlan(pulumi.ComponentResource):
    """The usage plan on the API's stage, with every merchant's key in it: throttle and quota per key."""

    usage_plan: aws.apigateway.UsagePlan

    def __init__(
        self, name: str, args: MerchantUsagePlanArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:MerchantUsagePlan", name, None, opts)
        plan_name = ctx.name("usage-plan", "apigateway")
        self.usage_plan = aws.apigateway.UsagePlan(
            name,
            name=plan_name,
            description="Merchants of the payments API: throttle and quota per API key",
            api_stages=[aws.apigateway.UsagePlanApiStageArgs(api_id=args.rest_api_id, stage=args.stage_name)],
            throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                rate_limit=args.throttle.rate_limit, burst_limit=args.throttle.burst_limit
            ),
            quota_settings=aws.apigateway.UsagePlanQuotaSettingsArgs(limit=args.quota.limit, period=args.quota.period),
            tags=ctx.tags(plan_name),
            opts=ctx.tagged_child(self),
        )
        for merchant, key in args.keys.items():
            aws.apigateway.UsagePlanKey(
                f"{name}-{merchant}",
                key_id=key.id,
                key_type="API_KEY",
                usage_plan_id=self.usage_plan.id,
                # The provider copies the key's value into this resource's state: keep it secret there too.
                opts=ctx.child(self, additional_secret_outputs=SECRET_VALUE, depends_on=[args.after[merchant]]),
            )
        self.register_outputs({"usagePlanId": self.usage_plan.id})

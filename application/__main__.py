"""Application layer: the public edge (ALB, certificate, WAF), the payments API behind it and the
EC2 web tier in blue and green. Reads networking and data; exports the APPLICATION contract."""

import pulumi

from application.alb_api import AlbApi, AlbApiArgs
from application.certificate import Certificate, CertificateArgs
from application.edge import Alb, AlbArgs, Listeners, ListenersArgs
from application.settings import COLORS, ApplicationSettings
from application.waf import Waf, WafArgs
from application.web_tier import WebTargetGroups, WebTargetGroupsArgs, WebTier, WebTierArgs
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration ---
config, ctx = start_layer("application", ApplicationSettings)
settings, platform = config.layer, config.platform
networking = UpstreamStack("networking", "application", config.platform)
data = UpstreamStack("data", "application", config.platform)
kms_key_arn = data.require("kmsKeyArn")
private_subnet_ids = networking.require("privateSubnetIds")
opts = ctx.component_opts()

# --- edge: load balancer and its certificate ---
alb = Alb(
    "alb",
    AlbArgs(
        subnet_ids=networking.require("publicSubnetIds"),
        security_group_id=networking.require("albSecurityGroupId"),
        log_bucket=data.require("albLogsBucketName"),
    ),
    ctx,
    opts,
)
certificate = Certificate("certificate", CertificateArgs(settings.domain, alb.load_balancer.dns_name), ctx, opts)

# --- the payments API behind /api/* ---
api = AlbApi(
    "alb-api",
    AlbApiArgs(
        subnet_ids=private_subnet_ids,
        security_group_id=networking.require("lambdaSecurityGroupId"),
        kms_key_arn=kms_key_arn,
        table_arns=[data.require("transactionsTableArn"), data.require("idempotencyTableArn")],
        environment={
            "POWERTOOLS_SERVICE_NAME": "payments",
            "TRANSACTIONS_TABLE_NAME": data.require("transactionsTableName"),
            "IDEMPOTENCY_TABLE_NAME": data.require("idempotencyTableName"),
            "KEY_HASH_SECRET_ARN": data.require("keyHashSecretArn"),
        },
        secret_arns=[data.require("keyHashSecretArn")],
        timeout_seconds=settings.api_function_timeout_seconds,
        memory_mb=settings.api_function_memory_mb,
        log_retention_days=platform.log_retention_days,
    ),
    ctx,
    opts,
)

# --- web tier: target groups, listeners (weights from config), then the fleets behind them ---
web_targets = WebTargetGroups("web-targets", WebTargetGroupsArgs(networking.require("vpcId")), ctx, opts)
listeners = Listeners(
    "listeners",
    ListenersArgs(
        load_balancer_arn=alb.load_balancer.arn,
        certificate_arn=certificate.arn,
        web_target_groups=web_targets.groups,
        weights=settings.weights(),
        api_target_group_arn=api.target_group.arn,
    ),
    ctx,
    opts,
)
web = WebTier(
    "web",
    WebTierArgs(
        settings=settings.web_tier,
        target_groups=web_targets.groups,
        subnet_ids=private_subnet_ids,
        security_group_id=networking.require("webSecurityGroupId"),
        kms_key_arn=kms_key_arn,
        autoscaling_role_arn=data.require("autoScalingRoleArn"),
        log_retention_days=platform.log_retention_days,
        listeners=listeners,
    ),
    ctx,
    opts,
)

# --- WAF (application:waf) ---
waf = (
    Waf(
        "waf",
        WafArgs(alb.load_balancer.arn, settings.waf_rate_limit, kms_key_arn, platform.log_retention_days),
        ctx,
        opts,
    )
    if settings.waf
    else None
)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
pulumi.export("albArn", alb.load_balancer.arn)
pulumi.export("albArnSuffix", alb.load_balancer.arn_suffix)
pulumi.export("albDnsName", alb.load_balancer.dns_name)
pulumi.export("albUrl", certificate.domain_name.apply(lambda name: f"https://{name}"))
pulumi.export("certificateArn", certificate.arn)
pulumi.export("wafWebAclArn", waf.arn if waf else None)
pulumi.export("lambdaTargetGroupArnSuffix", api.target_group.arn_suffix)
pulumi.export("albApiFunctionName", api.function.name)
pulumi.export("albApiKeysSecretArn", api.api_keys_secret.arn)
pulumi.export("webActiveColor", settings.active_color)
pulumi.export("webTargetGroupArns", {color: web_targets.groups[color].arn for color in COLORS})
pulumi.export("webTargetGroupArnSuffixes", {color: web_targets.groups[color].arn_suffix for color in COLORS})
pulumi.export("webAutoScalingGroupNames", {color: web.groups[color].name for color in COLORS})

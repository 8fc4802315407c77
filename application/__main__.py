"""Application layer: the payment functions, their queues and notification topic, the deploy-time
ledger migration; two front doors to the same API (API Gateway with one key per merchant, and the
public ALB with its certificate and WAF), and the EC2 web tier in blue and green. Reads the
networking and data contracts; exports the APPLICATION contract."""

import functools

import pulumi

from application.alb_api import AlbApi, AlbApiArgs
from application.api import ApiFunction, PaymentApi, PaymentApiArgs
from application.api_account import ApiGatewayAccount
from application.api_keys import MerchantApiKeys, MerchantApiKeysArgs, MerchantUsagePlan, MerchantUsagePlanArgs
from application.artifact import lambda_artifact
from application.certificate import Certificate, CertificateArgs
from application.edge import Alb, AlbArgs, Listeners, ListenersArgs
from application.environment import function_environments
from application.functions import PaymentFunction, PaymentFunctionArgs, QueueTrigger, role_arn
from application.merchant_directory import MerchantDirectory, MerchantDirectoryArgs
from application.migration import LedgerMigration, LedgerMigrationArgs
from application.notifications import NotificationTopic, NotificationTopicArgs
from application.permissions import audit_records, function_statements
from application.queues import Queues, QueuesArgs
from application.settings import COLORS, ApplicationSettings
from application.waf import Waf, WafArgs
from application.web_tier import WebTargetGroups, WebTargetGroupsArgs, WebTier, WebTierArgs
from payments.metric_names import NAMESPACE
from shared.bootstrap import start_layer
from shared.functions import API_FACING, FUNCTIONS, FunctionSpec, functions_invoked_by
from shared.stack_refs import PromotionRecordReference, UpstreamStack

# --- configuration: validated (including rules across environments) before anything exists ---
config, ctx = start_layer("application", ApplicationSettings)
settings, platform = config.layer, config.platform
networking = UpstreamStack("networking", "application", platform)
data = UpstreamStack("data", "application", platform)
# the one cross-environment read: the record of the environment this release was promoted from
promotion = PromotionRecordReference("application", platform) if platform.promotion_source else None
kms_key_arn = data.require("kmsKeyArn")
transactions_table_arn = data.require("transactionsTableArn")
database_secret_arn = data.require("databaseSecretArn")  # the ledger owner's: the migration step only
artifact = lambda_artifact()  # rebuilt first when missing or stale
opts = ctx.component_opts()
(settlement_worker,) = functions_invoked_by("queue")  # the payment queue's consumer, the notifications' publisher

# --- messaging ---
queues = Queues(
    "queues",
    QueuesArgs(
        kms_key_arn=kms_key_arn,
        max_receive_count=settings.max_receive_count,
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        message_retention_seconds=settings.message_retention_seconds,
        dead_letter_retention_seconds=settings.dead_letter_retention_seconds,
    ),
    ctx,
    opts,
)
notifications = NotificationTopic(
    "notifications",
    NotificationTopicArgs(kms_key_arn, role_arn(ctx, settlement_worker.name), settings.notification_emails),
    ctx,
    opts,
)

# --- merchants: one API key each, and their entries in the merchants table the functions read ---
api_keys = MerchantApiKeys("api-keys", MerchantApiKeysArgs(settings.all_merchants), ctx, opts)
merchant_directory = MerchantDirectory(
    "merchant-directory",
    MerchantDirectoryArgs(data.require("merchantsTableName"), api_keys.keys, data.require("keyHashKey")),
    ctx,
    opts,
)

# --- what the functions read: each handler gets the variables payments.settings says it reads ---
environments = function_environments(
    {function.name: function.handler for function in FUNCTIONS},
    {
        "POWERTOOLS_SERVICE_NAME": platform.application,
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": settings.log_level,
        "PAYMENT_QUEUE_URL": queues.payments.url,
        "NOTIFICATION_TOPIC_ARN": notifications.arn,
        "TRANSACTIONS_TABLE_NAME": data.require("transactionsTableName"),
        "IDEMPOTENCY_TABLE_NAME": data.require("idempotencyTableName"),
        "AUDIT_BUCKET_NAME": data.require("auditBucketName"),
        "AUDIT_KMS_KEY_ARN": kms_key_arn,
        "DB_OWNER_SECRET_ARN": database_secret_arn,
        "DB_WRITER_USER": data.require("ledgerWriterUsername"),
        "DB_PROXY_ENDPOINT": data.require("proxyEndpoint"),
        "DB_PORT": data.require("databasePort").apply(lambda port: str(int(port))),
        "DB_NAME": data.require("databaseName"),
        "MERCHANTS_TABLE_NAME": data.require("merchantsTableName"),
        "KEY_HASH_PARAMETER_NAME": data.require("keyHashParameterName"),
    },
)
# --- what the functions may do: each role grants its row's statements (shared/functions.py) on these ---
statements = function_statements(
    FUNCTIONS,
    {
        "transactionsTable": transactions_table_arn,
        "idempotencyTable": data.require("idempotencyTableArn"),
        "paymentQueue": queues.payments.arn,
        "keyHashParameter": data.require("keyHashParameterArn"),
        "merchantsTable": data.require("merchantsTableArn"),
        "auditRecords": audit_records(data.require("auditBucketArn")),
        "notificationTopic": notifications.arn,
        "ledgerOwnerSecret": database_secret_arn,
        "ledgerWriterAtProxy": data.require("ledgerWriterConnectArn"),
    },
)
shared_args = functools.partial(
    PaymentFunctionArgs,
    artifact=artifact,
    memory_mb=settings.memory_mb,
    subnet_ids=networking.require("privateSubnetIds"),
    security_group_id=networking.require("lambdaSecurityGroupId"),
    kms_key_arn=kms_key_arn,
    dead_letter_arn=queues.lambda_dlq.arn,
    log_retention_days=platform.log_retention_days,
    log_level=settings.log_level,
)


def function_args(function: FunctionSpec, trigger: QueueTrigger | None = None) -> PaymentFunctionArgs:
    return shared_args(
        function=function.name,
        handler=function.handler,
        description=function.description,
        timeout_seconds=settings.timeouts.of(function),
        reserved_concurrency=settings.reserved_concurrency_of(function),
        variables=environments[function.name],
        statements=statements[function.name],
        trigger=trigger,
    )


# --- functions: the deploy-time migration first (no message before the schema), then the API functions
# and the queue's worker ---
migrations = {
    function.name: LedgerMigration(function.name, LedgerMigrationArgs(function_args(function)), ctx, opts)
    for function in functions_invoked_by("deploy")
}
deployed = {
    function.name: PaymentFunction(function.name, function_args(function), ctx, opts)
    for function in functions_invoked_by(*API_FACING)
}
deployed[settlement_worker.name] = PaymentFunction(
    settlement_worker.name,
    function_args(
        settlement_worker,
        QueueTrigger(
            queue_arn=queues.payments.arn,
            batch_size=settings.batch_size,
            batching_window_seconds=settings.batching_window_seconds,
            maximum_concurrency=settings.queue_maximum_concurrency,
            after=[migration.invocation for migration in migrations.values()],
        ),
    ),
    ctx,
    opts,
)
deployed |= {name: migration.function for name, migration in migrations.items()}

# --- the payments API: the functions behind API Gateway, every merchant's key in its usage plan ---
api_account = ApiGatewayAccount("api-account", ctx, opts) if settings.owns_api_gateway_account else None
api = PaymentApi(
    "api",
    PaymentApiArgs(
        functions={
            function.name: ApiFunction(
                deployed[function.name].function.name, deployed[function.name].function.invoke_arn
            )
            for function in functions_invoked_by("api-gateway")
        },
        throttle=settings.api_throttle,
        logging_level=settings.api_logging_level,
        log_retention_days=platform.log_retention_days,
        depends_on=[api_account] if api_account else [],
    ),
    ctx,
    opts,
)
MerchantUsagePlan(
    "api-usage-plan",
    MerchantUsagePlanArgs(
        api.api_id,
        api.stage_name,
        api_keys.keys,
        settings.api_throttle,
        settings.api_quota,
        after=merchant_directory.entries,
    ),
    ctx,
    opts,
)

# --- the public edge: the ALB, its certificate, the API behind /api/*, the web tier in blue and green ---
alb = Alb(
    "alb",
    AlbArgs(
        subnet_ids=networking.require("publicSubnetIds"),
        security_group_id=networking.require("albSecurityGroupId"),
        log_bucket=data.require("albLogsBucketName"),
        domain=settings.domain,
    ),
    ctx,
    opts,
)
certificate = Certificate("certificate", CertificateArgs(settings.domain, alb.load_balancer.dns_name), ctx, opts)
(alb_function,) = (deployed[function.name].function for function in functions_invoked_by("alb"))
alb_api = AlbApi("alb-api", AlbApiArgs(alb_function.name, alb_function.arn), ctx, opts)
web_targets = WebTargetGroups("web-targets", WebTargetGroupsArgs(networking.require("vpcId")), ctx, opts)
listeners = Listeners(
    "listeners",
    ListenersArgs(
        load_balancer_arn=alb.load_balancer.arn,
        certificate_arn=certificate.arn,
        web_target_groups=web_targets.groups,
        weights=settings.weights(),
        api_target_group_arn=alb_api.target_group.arn,
    ),
    ctx,
    opts,
)
web = WebTier(
    "web",
    WebTierArgs(
        settings=settings.web_tier,
        image=settings.web_image,
        target_groups=web_targets.groups,
        subnet_ids=networking.require("privateSubnetIds"),
        security_group_id=networking.require("webSecurityGroupId"),
        kms_key_arn=kms_key_arn,
        autoscaling_role_arn=data.require("autoScalingRoleArn"),
        log_retention_days=platform.log_retention_days,
        listeners=listeners,
    ),
    ctx,
    opts,
)
waf = (
    Waf(
        "waf",
        WafArgs(
            alb.load_balancer.arn, api.stage.arn, settings.waf_rate_limit, kms_key_arn, platform.log_retention_days
        ),
        ctx,
        opts,
    )
    if settings.waf
    else None
)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
for function in FUNCTIONS:
    pulumi.export(f"{function.key}FunctionName", deployed[function.name].name)
    pulumi.export(f"{function.key}FunctionArn", deployed[function.name].arn)
pulumi.export("lambdaLogGroupNames", {function.key: deployed[function.name].log_group.name for function in FUNCTIONS})
pulumi.export("functionTimeouts", settings.timeouts.model_dump(by_alias=True))
pulumi.export("paymentQueueName", queues.payments.name)
pulumi.export("paymentQueueArn", queues.payments.arn)
pulumi.export("paymentQueueUrl", queues.payments.url)
pulumi.export("paymentDlqName", queues.payments_dlq.name)
pulumi.export("paymentDlqArn", queues.payments_dlq.arn)
pulumi.export("paymentDlqUrl", queues.payments_dlq.url)
pulumi.export("lambdaDlqName", queues.lambda_dlq.name)
pulumi.export("lambdaDlqArn", queues.lambda_dlq.arn)
pulumi.export("notificationTopicArn", notifications.arn)
pulumi.export("metricsNamespace", NAMESPACE)
pulumi.export("metricsServiceName", platform.application)
pulumi.export("artifactSha256", artifact.sha256_hex)
pulumi.export("apiId", api.api_id)
pulumi.export("apiName", api.api_name)
pulumi.export("apiStageName", api.stage_name)
pulumi.export("apiEndpoint", api.endpoint)
pulumi.export("processPaymentUrl", api.route_urls["process-payment"])
pulumi.export("verifyPaymentUrl", api.route_urls["verify-payment"])
pulumi.export("apiKeyIds", api_keys.api_key_ids)
pulumi.export("albArn", alb.load_balancer.arn)
pulumi.export("albArnSuffix", alb.load_balancer.arn_suffix)
pulumi.export("albDnsName", alb.load_balancer.dns_name)
pulumi.export("albUrl", certificate.domain_name.apply(lambda name: f"https://{name}"))
pulumi.export("certificateArn", certificate.arn)
pulumi.export("wafWebAclArn", waf.arn if waf else None)
pulumi.export("lambdaTargetGroupArnSuffix", alb_api.target_group.arn_suffix)
pulumi.export("webActiveColor", settings.active_color)
pulumi.export("webTargetGroupArns", {color: web_targets.groups[color].arn for color in COLORS})
pulumi.export("webTargetGroupArnSuffixes", {color: web_targets.groups[color].arn_suffix for color in COLORS})
pulumi.export("webAutoScalingGroupNames", {color: web.groups[color].name for color in COLORS})
pulumi.export("promotedFrom", promotion.promoted_from() if promotion else None)

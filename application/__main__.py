"""Application layer: the payments API (API Gateway, one key per merchant), the payment functions,
their queues and notification topic, and the deploy-time ledger migration. Reads the networking and
data contracts; exports the APPLICATION contract."""

import functools

import pulumi

from application.api import ApiFunction, PaymentApi, PaymentApiArgs
from application.api_account import ApiGatewayAccount
from application.api_keys import MerchantApiKeys, MerchantApiKeysArgs, MerchantUsagePlan, MerchantUsagePlanArgs
from application.artifact import lambda_artifact
from application.environment import function_environments
from application.functions import PaymentFunction, PaymentFunctionArgs, QueueTrigger, role_arn
from application.migration import LedgerMigration, LedgerMigrationArgs
from application.notifications import NotificationTopic, NotificationTopicArgs
from application.permissions import (
    migrate_ledger_statements,
    process_payment_statements,
    settlement_worker_statements,
    verify_payment_statements,
)
from application.queues import Queues, QueuesArgs
from application.settings import MIGRATION_RESERVED_CONCURRENCY, ApplicationSettings
from payments.metric_names import NAMESPACE
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration: validated (including rules across environments) before anything exists ---
config, ctx = start_layer("application", ApplicationSettings)
settings, platform = config.layer, config.platform
networking = UpstreamStack("networking", "application", platform)
data = UpstreamStack("data", "application", platform)
kms_key_arn = data.require("kmsKeyArn")
transactions_table_arn = data.require("transactionsTableArn")
database_secret_arn = data.require("databaseSecretArn")  # the ledger owner's: the migration step only
ledger_writer_secret_arn = data.require("ledgerWriterSecretArn")  # the settlement worker's
key_hash_secret_arn = data.require("keyHashSecretArn")
artifact = lambda_artifact()  # rebuilt first when missing or stale
opts = ctx.component_opts()

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
    NotificationTopicArgs(kms_key_arn, role_arn(ctx, "settlement-worker"), settings.notification_emails),
    ctx,
    opts,
)

# --- merchants: one API key each; the functions map the key id API Gateway accepted to the merchant ---
api_keys = MerchantApiKeys("api-keys", MerchantApiKeysArgs(settings.merchants), ctx, opts)

# --- what the functions read: each handler gets the variables payments.settings says it reads ---
HANDLERS = {
    "process-payment": "payments.handlers.process_payment.handler",
    "verify-payment": "payments.handlers.verify_payment.handler",
    "settlement-worker": "payments.handlers.settlement_worker.handler",
    "migrate-ledger": "payments.handlers.migrate_ledger.handler",
}
environments = function_environments(
    HANDLERS,
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
        "DB_SECRET_ARN": ledger_writer_secret_arn,
        "DB_OWNER_SECRET_ARN": database_secret_arn,
        "DB_WRITER_SECRET_ARN": ledger_writer_secret_arn,
        "DB_PROXY_ENDPOINT": data.require("proxyEndpoint"),
        "DB_PORT": data.require("databasePort").apply(lambda port: str(int(port))),
        "DB_NAME": data.require("databaseName"),
        "MERCHANTS_BY_API_KEY_ID": api_keys.merchants_by_api_key_id,
        "KEY_HASH_SECRET_ARN": key_hash_secret_arn,
    },
)
function_args = functools.partial(
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

# --- functions: the migration first, then the API functions and the worker ---
migration = LedgerMigration(
    "migrate-ledger",
    LedgerMigrationArgs(
        function_args(
            function="migrate-ledger",
            handler=HANDLERS["migrate-ledger"],
            description="Applies the ledger's pending schema migrations; invoked once per artifact at deploy time",
            timeout_seconds=settings.timeouts.migrate_ledger,
            reserved_concurrency=MIGRATION_RESERVED_CONCURRENCY,
            variables=environments["migrate-ledger"],
            statements=migrate_ledger_statements(database_secret_arn, ledger_writer_secret_arn),
        )
    ),
    ctx,
    opts,
)
process_payment = PaymentFunction(
    "process-payment",
    function_args(
        function="process-payment",
        handler=HANDLERS["process-payment"],
        description="POST /process-payment: validates, records PENDING, enqueues for settlement",
        timeout_seconds=settings.timeouts.process_payment,
        reserved_concurrency=settings.api_reserved_concurrency,
        variables=environments["process-payment"],
        statements=process_payment_statements(
            transactions_table_arn, data.require("idempotencyTableArn"), queues.payments.arn, key_hash_secret_arn
        ),
    ),
    ctx,
    opts,
)
verify_payment = PaymentFunction(
    "verify-payment",
    function_args(
        function="verify-payment",
        handler=HANDLERS["verify-payment"],
        description="GET /verify-payment: status of one transaction",
        timeout_seconds=settings.timeouts.verify_payment,
        reserved_concurrency=settings.api_reserved_concurrency,
        variables=environments["verify-payment"],
        statements=verify_payment_statements(transactions_table_arn),
    ),
    ctx,
    opts,
)
settlement_worker = PaymentFunction(
    "settlement-worker",
    function_args(
        function="settlement-worker",
        handler=HANDLERS["settlement-worker"],
        description="Settles queued payments: ledger, SETTLED status, audit record, notification",
        timeout_seconds=settings.timeouts.settlement_worker,
        reserved_concurrency=settings.worker_reserved_concurrency,
        variables=environments["settlement-worker"],
        statements=settlement_worker_statements(
            queues.payments.arn,
            transactions_table_arn,
            data.require("auditBucketArn"),
            notifications.arn,
            ledger_writer_secret_arn,
        ),
        trigger=QueueTrigger(
            queue_arn=queues.payments.arn,
            batch_size=settings.batch_size,
            batching_window_seconds=settings.batching_window_seconds,
            maximum_concurrency=settings.queue_maximum_concurrency,
            after=[migration.invocation],
        ),
    ),
    ctx,
    opts,
)

# --- the payments API: the functions behind API Gateway, every merchant's key in its usage plan ---
api_account = ApiGatewayAccount("api-account", ctx, opts) if settings.owns_api_gateway_account else None
api = PaymentApi(
    "api",
    PaymentApiArgs(
        process_payment=ApiFunction(process_payment.function.name, process_payment.function.invoke_arn),
        verify_payment=ApiFunction(verify_payment.function.name, verify_payment.function.invoke_arn),
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
    MerchantUsagePlanArgs(api.api_id, api.stage_name, api_keys.keys, settings.api_throttle, settings.api_quota),
    ctx,
    opts,
)

# --- exports: the contract in shared/contracts.py ---
functions = {
    "processPayment": process_payment,
    "verifyPayment": verify_payment,
    "settlementWorker": settlement_worker,
    "migrateLedger": migration.function,
}
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
for key, function in functions.items():
    pulumi.export(f"{key}FunctionName", function.name)
    pulumi.export(f"{key}FunctionArn", function.arn)
pulumi.export("lambdaLogGroupNames", {key: function.log_group.name for key, function in functions.items()})
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

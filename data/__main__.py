"""Data layer: the data key, PostgreSQL behind RDS Proxy (IAM sign-in for the ledger writer), DynamoDB,
S3 audit trail, ALB log bucket, the functions' key-hash parameter and optional DR copies. Reads
networking; exports the DATA contract.

The functions find what they read through environment variables the application layer sets from
this layer's exports (one source of truth): names and ARNs, never a value; the one value they
read from Parameter Store is the key of their keyed hashes (a SecureString)."""

import pulumi

from data.access_logs_bucket import AccessLogsBucket, AccessLogsBucketArgs
from data.alb_logs_bucket import AlbLogsBucket, AlbLogsBucketArgs
from data.audit_bucket import AuditBucket, AuditBucketArgs
from data.autoscaling_role import AutoScalingRole
from data.database import ENHANCED_MONITORING_LOG_GROUP, Database, DatabaseArgs
from data.dr import DisasterRecovery, DisasterRecoveryArgs
from data.function_secrets import FunctionSecrets, FunctionSecretsArgs
from data.kms import DataKey, DataKeyArgs
from data.proxy import LEDGER_WRITER_USERNAME, DatabaseProxy, DatabaseProxyArgs
from data.settings import DataSettings
from data.tables import PaymentTables, PaymentTablesArgs
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration: validated (including rules across data: and platform:) before anything exists ---
config, ctx = start_layer("data", DataSettings)
settings, platform = config.layer, config.platform
protect = settings.protect_data_stores
networking = UpstreamStack("networking", "data", config.platform)
private_subnet_ids = networking.require("privateSubnetIds")
opts = ctx.component_opts()

# --- components ---
web_tier_role = AutoScalingRole("web-tier-autoscaling", ctx, opts)
key = DataKey(
    "data-key",
    DataKeyArgs(
        "data",
        ctx.region,
        protect,
        web_tier_role.arn,
        (ENHANCED_MONITORING_LOG_GROUP,) if settings.owns_enhanced_monitoring_log_group else (),
    ),
    ctx,
    opts,
)
database = Database(
    "database",
    DatabaseArgs(
        settings=settings,
        subnet_ids=private_subnet_ids,
        security_group_id=networking.require("databaseSecurityGroupId"),
        kms_key_arn=key.arn,
        log_retention_days=platform.log_retention_days,
    ),
    ctx,
    opts,
)
function_secrets = FunctionSecrets("function-secrets", FunctionSecretsArgs(key.arn, protect), ctx, opts)
proxy = DatabaseProxy(
    "db-proxy",
    DatabaseProxyArgs(
        subnet_ids=private_subnet_ids,
        security_group_id=networking.require("proxySecurityGroupId"),
        owner_secret_arn=database.secret_arn,
        kms_key_arn=key.arn,
        target=database.proxy_target,
        database_resource_id=database.resource_id,
        depends_on=[database],
    ),
    ctx,
    opts,
)
access_logs = AccessLogsBucket(
    "access-logs",
    AccessLogsBucketArgs(settings.audit_expiration_days, settings.incomplete_upload_days, protect, ctx.region),
    ctx,
    opts,
)
tables = PaymentTables("tables", PaymentTablesArgs(key.arn, settings.point_in_time_recovery, protect), ctx, opts)
audit_args = AuditBucketArgs(
    kms_key_arn=key.arn,
    transition_days=settings.audit_transition_days,
    expiration_days=settings.audit_expiration_days,
    # A replaced or deleted audit record is kept as long as a current one (never shorter).
    noncurrent_expiration_days=settings.audit_expiration_days,
    incomplete_upload_days=settings.incomplete_upload_days,
    protect=protect,
    region=ctx.region,
    access_log_bucket=access_logs.bucket.bucket,
)
audit = AuditBucket("audit", audit_args, ctx, opts)
alb_logs = AlbLogsBucket(
    "alb-logs",
    AlbLogsBucketArgs(settings.alb_log_expiration_days, settings.incomplete_upload_days, access_logs.bucket.bucket),
    ctx,
    opts,
)
dr = (
    DisasterRecovery(
        "dr",
        DisasterRecoveryArgs(
            region=settings.dr.region,
            source_key_arn=key.arn,
            audit=audit_args,
            source_bucket=audit.bucket,
            source_versioning=audit.versioning,
            db_instance_arn=database.arn if settings.engine == "postgres" else None,
            backup_retention_days=settings.backup_retention_days,
        ),
        ctx,
        opts,
    )
    if settings.dr.enabled
    else None
)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
pulumi.export("kmsKeyArn", key.arn)
pulumi.export("databaseEngine", settings.engine)
pulumi.export("databaseIdentifier", database.identifier)
pulumi.export("databaseEndpoint", database.address)
pulumi.export("databasePort", database.port)
pulumi.export("databaseName", settings.database_name)
pulumi.export("databaseSecretArn", database.secret_arn)
pulumi.export("ledgerWriterUsername", LEDGER_WRITER_USERNAME)
pulumi.export("ledgerWriterConnectArn", proxy.writer_connect_arn)
pulumi.export("keyHashParameterName", function_secrets.key_hash_parameter.name)
pulumi.export("keyHashParameterArn", function_secrets.key_hash_parameter.arn)
pulumi.export("keyHashKey", function_secrets.key_hash_key)
pulumi.export("proxyEndpoint", proxy.endpoint)
for logical, table in tables.tables.items():
    pulumi.export(f"{logical}TableName", table.name)
    pulumi.export(f"{logical}TableArn", table.arn)
pulumi.export("auditBucketName", audit.bucket.bucket)
pulumi.export("auditBucketArn", audit.bucket.arn)
pulumi.export("albLogsBucketName", alb_logs.bucket.bucket)
pulumi.export("albLogsBucketArn", alb_logs.bucket.arn)
pulumi.export("accessLogsBucketName", access_logs.bucket.bucket)
pulumi.export("autoScalingRoleArn", web_tier_role.arn)
pulumi.export("drRegion", settings.dr.region if dr else None)

"""PostgreSQL (RDS instance or Aurora), RDS Proxy and DynamoDB: encrypted with the CMK, private, TLS only.

DynamoDB point-in-time recovery is a declared per-environment setting (`data:pointInTimeRecovery`,
off in dev), so it is held to the stack config, not to a policy.
"""

from pulumi_policy import ResourceValidationArgs

from policy.rules import Check, for_types, is_set, items, known, resource_policy, value

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
PROXY = "aws:rds/proxy:Proxy"
TABLE = "aws:dynamodb/table:Table"

POSTGRES_ENGINES = ("postgres", "aurora-postgresql")
POSTGRES_FAMILIES = ("postgres", "aurora-postgresql")


def _storage_encrypted(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "storageEncrypted") is not True:
        return "storage is not encrypted: set storageEncrypted=true and kmsKeyId to the platform CMK"
    if not is_set(args.props, "kmsKeyId"):
        return "storage uses the AWS-managed key: set kmsKeyId to the platform CMK"
    return None


def _not_public(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "publiclyAccessible") is True:
        return "the database is publicly accessible: set publiclyAccessible=false (it is reached through the proxy)"
    return None


def _iam_auth(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "iamDatabaseAuthenticationEnabled") is not True:
        return "IAM database authentication is off: set iamDatabaseAuthenticationEnabled=true"
    return None


def _performance_insights(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "performanceInsightsEnabled") is not True:
        return "Performance Insights is off: set performanceInsightsEnabled=true"
    if not is_set(args.props, "performanceInsightsKmsKeyId"):
        return "Performance Insights uses the AWS-managed key: set performanceInsightsKmsKeyId to the platform CMK"
    return None


def _backups(args: ResourceValidationArgs) -> str | None:
    days = value(args.props, "backupRetentionPeriod")
    if isinstance(days, int | float) and days >= 1:
        return None
    return f"backupRetentionPeriod is {days!r}: keep automated backups at least 1 day (data:backupRetentionDays)"


def _log_exports(args: ResourceValidationArgs) -> str | None:
    exports = set(items(value(args.props, "enabledCloudwatchLogsExports")))
    if value(args.props, "engine") in POSTGRES_ENGINES and "postgresql" not in exports:
        return "PostgreSQL logs are not exported: add 'postgresql' to enabledCloudwatchLogsExports"
    return None if exports else "no logs are exported: set enabledCloudwatchLogsExports"


def _force_ssl(args: ResourceValidationArgs) -> str | None:
    if not str(value(args.props, "family") or "").startswith(POSTGRES_FAMILIES):
        return None
    force_ssl = [p for p in items(value(args.props, "parameters")) if value(p, "name") == "rds.force_ssl"]
    if any(str(value(p, "value")) == "1" for p in force_ssl):
        return None
    return "PostgreSQL accepts plain-text connections: add the parameter rds.force_ssl = 1"


def _uses_own_parameter_group(prop: str) -> Check:
    def check(args: ResourceValidationArgs) -> str | None:
        if value(args.props, "engine") in POSTGRES_ENGINES and not is_set(args.props, prop):
            return f"the default parameter group does not force TLS: set {prop} to a group with rds.force_ssl = 1"
        return None

    return check


def _proxy_tls(args: ResourceValidationArgs) -> str | None:
    return None if value(args.props, "requireTls") is True else "the proxy accepts plain text: set requireTls=true"


# Secrets Manager names the secrets RDS creates and rotates for a database's master user `rds!...`.
RDS_MANAGED_SECRET = ":secret:rds!"  # noqa: S105 (a name prefix, not a password)


def _proxy_iam_sign_in(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "defaultAuthScheme") != "IAM_AUTH":
        return (
            "the proxy signs users in with passwords kept in secrets: set defaultAuthScheme=IAM_AUTH, so that "
            "application users sign in with IAM end to end and have no password"
        )
    for auth in items(value(args.props, "auths")):
        arn = known(auth, "secretArn")
        if arn is not None and RDS_MANAGED_SECRET not in str(arn):
            return (
                f"the proxy registers the secret {arn}, whose password nothing rotates: register only the "
                "RDS-managed master secret and let application users sign in with IAM"
            )
    return None


def _table_cmk(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "serverSideEncryption", "enabled") is not True:
        return "the table uses the AWS-owned key: set serverSideEncryption.enabled=true with kmsKeyArn (platform CMK)"
    if not is_set(args.props, "serverSideEncryption", "kmsKeyArn"):
        return "the table uses the AWS-managed key: set serverSideEncryption.kmsKeyArn to the platform CMK"
    return None


POLICIES = (
    resource_policy(
        "rds-storage-encrypted (RDS.3)",
        "RDS instances and Aurora clusters encrypt storage with the customer-managed key.",
        for_types((INSTANCE, CLUSTER), _storage_encrypted),
    ),
    resource_policy(
        "rds-instance-no-public-access (RDS.2)",
        "RDS and Aurora instances are never publicly accessible.",
        for_types((INSTANCE, CLUSTER_INSTANCE), _not_public),
    ),
    resource_policy(
        "rds-iam-authentication-configured (RDS.10, RDS.12)",
        "RDS instances and Aurora clusters accept IAM database authentication.",
        for_types((INSTANCE, CLUSTER), _iam_auth),
    ),
    resource_policy(
        "rds-performance-insights-encrypted (CKV_AWS_354)",
        "Performance Insights is on and encrypted with the customer-managed key (it holds query text).",
        for_types((INSTANCE, CLUSTER_INSTANCE), _performance_insights),
    ),
    resource_policy(
        "rds-backups-enabled (RDS.11)",
        "RDS instances and Aurora clusters keep automated backups for at least a day.",
        for_types((INSTANCE, CLUSTER), _backups),
    ),
    resource_policy(
        "rds-logs-exported (RDS.9)",
        "RDS instances and Aurora clusters export their PostgreSQL logs to CloudWatch Logs.",
        for_types((INSTANCE, CLUSTER), _log_exports),
    ),
    resource_policy(
        "rds-postgres-force-ssl (CKV2_AWS_69)",
        "PostgreSQL parameter groups set rds.force_ssl = 1, and databases use such a group, not the default.",
        {
            **for_types((PARAMETER_GROUP, CLUSTER_PARAMETER_GROUP), _force_ssl),
            INSTANCE: _uses_own_parameter_group("parameterGroupName"),
            CLUSTER: _uses_own_parameter_group("dbClusterParameterGroupName"),
        },
    ),
    resource_policy(
        "rds-proxy-tls-required",
        "RDS Proxy requires TLS from its clients.",
        {PROXY: _proxy_tls},
    ),
    resource_policy(
        "rds-proxy-iam-sign-in (PCI DSS 8.3.9)",
        "RDS Proxy signs application users in with IAM end to end; the only secret it registers is RDS's own.",
        {PROXY: _proxy_iam_sign_in},
    ),
    resource_policy(
        "dynamodb-table-encrypted-with-cmk (CKV_AWS_119)",
        "DynamoDB tables encrypt with the customer-managed key.",
        {TABLE: _table_cmk},
    ),
)

"""PostgreSQL 14 for the settlement ledger: an RDS instance, or Aurora Serverless v2 (config switch).

Both paths share the same guarantees: private subnets, storage and Performance Insights encrypted
with the data key, `rds.force_ssl=1`, IAM database auth, log exports into pre-created encrypted log
groups with the platform's retention, master credentials generated and kept by RDS in Secrets
Manager (encrypted with the data key, rotated every `secretRotationDays`), clean teardown
(no deletion protection, no final snapshot) and `protect` where the environment asks for it.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from data.settings import DataSettings
from shared.context import LayerContext
from shared.roles import ServiceRole, service_role

POSTGRES_PORT = 5432
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
# Parameters of both engines: TLS only, and who connected (never statement text: card data rules).
PARAMETERS: dict[str, str] = {"rds.force_ssl": "1", "log_connections": "1", "log_disconnections": "1"}
LOG_EXPORTS: dict[str, list[str]] = {"postgres": ["postgresql", "upgrade"], "aurora-postgresql": ["postgresql"]}
SERVERLESS_INSTANCE_CLASS = "db.serverless"
# Enhanced monitoring writes OS metrics to this one log group of the account and region (AWS's name).
ENHANCED_MONITORING_LOG_GROUP = "RDSOSMetrics"


@dataclass(frozen=True)
class DatabaseArgs:
    settings: DataSettings
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int


class Database(pulumi.ComponentResource):
    """Outputs: `address`, `port`, `database_name`, `identifier`, `arn`, `resource_id`, `secret_arn`, `engine`.

    Aurora: `auto_minor_version_upgrade` is set on each instance (the cluster-level flag is for
    Multi-AZ DB clusters).
    """

    address: pulumi.Output[str]
    port: pulumi.Output[int]
    identifier: pulumi.Output[str]
    arn: pulumi.Output[str]
    resource_id: pulumi.Output[str]  # what IAM database authentication names it by (`rds-db:connect`)
    secret_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:Database", name, None, opts)
        self._name, self._ctx, self._args = name, ctx, args
        settings = args.settings
        self.engine = settings.engine
        self.database_name = settings.database_name
        self.protect = settings.protect_data_stores
        major = settings.engine_version.split(".")[0]

        subnet_group_name = ctx.name("db-subnets", "rds")
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=subnet_group_name,
            description="PostgreSQL: private subnets only",
            subnet_ids=args.subnet_ids,
            tags=ctx.tags(subnet_group_name),
            opts=ctx.tagged_child(self),
        )
        self.monitoring_role = self._enhanced_monitoring_role()
        self.monitoring_dependencies: list[pulumi.Resource] = [
            self.monitoring_role.policy,
            *([self._enhanced_monitoring_log_group()] if settings.owns_enhanced_monitoring_log_group else []),
        ]
        if settings.engine == "postgres":
            self._instance(f"postgres{major}")
        else:
            self._aurora(f"aurora-postgresql{major}")
        self.rotation = aws.secretsmanager.SecretRotation(
            f"{name}-secret-rotation",
            secret_id=self.secret_arn,
            rotation_rules={"automatically_after_days": settings.secret_rotation_days},
            rotate_immediately=False,  # a changed schedule never rotates credentials in the middle of an up
            opts=ctx.child(self),
        )
        self.register_outputs(
            {
                "address": self.address,
                "port": self.port,
                "identifier": self.identifier,
                "secretArn": self.secret_arn,
            }
        )

    @property
    def proxy_target(self) -> dict[str, pulumi.Input[str]]:
        """How an RDS Proxy target names this database."""
        if self.engine == "postgres":
            return {"db_instance_identifier": self.identifier}
        return {"db_cluster_identifier": self.identifier}

    def _log_groups(self, kind: str, identifier: str) -> list[aws.cloudwatch.LogGroup]:
        """Created before the database, so exports land encrypted and expire (RDS would not)."""
        ctx, args = self._ctx, self._args
        groups = []
        for log in LOG_EXPORTS[self.engine]:
            group_name = ctx.namer.check(f"/aws/rds/{kind}/{identifier}/{log}", "logs")
            groups.append(
                aws.cloudwatch.LogGroup(
                    f"{self._name}-logs-{log}",
                    name=group_name,
                    retention_in_days=args.log_retention_days,
                    kms_key_id=args.kms_key_arn,
                    tags=ctx.tags(group_name),
                    opts=ctx.tagged_child(self),
                )
            )
        return groups

    def _common(self) -> dict[str, Any]:
        """Arguments both engines' database resources take with the same meaning."""
        settings, args = self._args.settings, self._args
        return {
            "engine_version": settings.engine_version,
            "db_subnet_group_name": self.subnet_group.name,
            "vpc_security_group_ids": [args.security_group_id],
            "storage_encrypted": True,
            "kms_key_id": args.kms_key_arn,
            "manage_master_user_password": True,
            "master_user_secret_kms_key_id": args.kms_key_arn,
            "iam_database_authentication_enabled": True,
            "backup_retention_period": settings.backup_retention_days,
            "copy_tags_to_snapshot": True,
            # AWS-side too: a console or API delete of a protected database fails (data:protectDataStores).
            "deletion_protection": self.protect,
            "skip_final_snapshot": True,
            # Retained automated backups expire after backup_retention_period on their own: no manual step.
            "delete_automated_backups": not settings.retain_automated_backups,
            "allow_major_version_upgrade": False,
            "port": POSTGRES_PORT,
            "enabled_cloudwatch_logs_exports": LOG_EXPORTS[self.engine],
        }

    def _performance_insights(self) -> dict[str, Any]:
        """Performance Insights and enhanced monitoring: what every database instance reports."""
        return {
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": self._args.kms_key_arn,
            "performance_insights_retention_period": self._args.settings.performance_insights_retention_days,
            "monitoring_interval": self._args.settings.monitoring_interval_seconds,
            "monitoring_role_arn": self.monitoring_role.arn,
        }

    def _enhanced_monitoring_log_group(self) -> aws.cloudwatch.LogGroup:
        """RDSOSMetrics before the first instance reports into it: otherwise enhanced monitoring creates
        it unencrypted and never expiring. One per account and region (data:ownsEnhancedMonitoringLogGroup)."""
        ctx, args = self._ctx, self._args
        return aws.cloudwatch.LogGroup(
            f"{self._name}-monitoring-logs",
            name=ENHANCED_MONITORING_LOG_GROUP,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=ctx.tags(),  # its name is AWS's, without this environment's: no Name tag claims it
            opts=ctx.tagged_child(self),
        )

    def _enhanced_monitoring_role(self) -> ServiceRole:
        """What AWS's AmazonRDSEnhancedMonitoringRole allows, scoped to this account and region:
        the RDSOSMetrics log group and its streams, nothing else."""
        ctx = self._ctx
        group = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{ENHANCED_MONITORING_LOG_GROUP}"
        return service_role(
            f"{self._name}-monitoring-role",
            role_type="rds-monitoring",
            service="monitoring.rds.amazonaws.com",
            description="RDS enhanced monitoring: OS metrics into RDSOSMetrics only",
            statements=[
                {
                    "Sid": "ManageRdsOsMetricsLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                    "Resource": group,
                },
                {
                    "Sid": "WriteRdsOsMetricsLogStreams",
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                        "logs:GetLogEvents",
                    ],
                    "Resource": f"{group}:log-stream:*",
                },
            ],
            ctx=ctx,
            parent=self,
        )

    def _parameter_group(
        self,
        kind: type[aws.rds.ParameterGroup] | type[aws.rds.ClusterParameterGroup],
        logical_name: str,
        family: str,
        engine: str,
    ) -> aws.rds.ParameterGroup | aws.rds.ClusterParameterGroup:
        """PARAMETERS (TLS only through rds.force_ssl, connection logging) in a group of our own."""
        physical = self._ctx.name(family, "rds")
        return kind(
            logical_name,
            name=physical,
            family=family,
            description=f"Payments {engine}: TLS only (rds.force_ssl), connection logging",
            parameters=[{"name": k, "value": v, "apply_method": "immediate"} for k, v in PARAMETERS.items()],
            tags=self._ctx.tags(physical),
            opts=self._ctx.tagged_child(self),
        )

    def _instance(self, family: str) -> None:
        ctx, settings, name = self._ctx, self._args.settings, self._name
        identifier = ctx.name("postgres", "rds")
        parameters = self._parameter_group(aws.rds.ParameterGroup, f"{name}-parameters", family, "PostgreSQL")
        common = self._common()
        common |= {"backup_window": settings.backup_window, "auto_minor_version_upgrade": True}
        instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=identifier,
            engine="postgres",
            instance_class=settings.instance_class,
            multi_az=settings.multi_az,
            allocated_storage=settings.allocated_storage_gb,
            max_allocated_storage=settings.max_allocated_storage_gb,
            storage_type="gp3",
            db_name=settings.database_name,
            username=settings.master_username,
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            ca_cert_identifier=CA_CERTIFICATE,
            maintenance_window=settings.maintenance_window,
            tags=ctx.tags(identifier),
            opts=ctx.tagged_child(
                self,
                protect=self.protect,
                depends_on=[*self._log_groups("instance", identifier), *self.monitoring_dependencies],
            ),
            **common,
            **self._performance_insights(),
        )
        self.address, self.port = instance.address, instance.port
        self.identifier, self.arn, self.resource_id = instance.identifier, instance.arn, instance.resource_id
        self.secret_arn = instance.master_user_secrets.apply(_managed_secret_arn)

    def _aurora(self, family: str) -> None:
        ctx, settings, name = self._ctx, self._args.settings, self._name
        identifier = ctx.name("aurora", "rds")
        parameters = self._parameter_group(
            aws.rds.ClusterParameterGroup, f"{name}-cluster-parameters", family, "Aurora PostgreSQL"
        )
        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=identifier,
            engine="aurora-postgresql",
            engine_mode="provisioned",
            database_name=settings.database_name,
            master_username=settings.master_username,
            db_cluster_parameter_group_name=parameters.name,
            serverlessv2_scaling_configuration={
                "min_capacity": float(settings.aurora.min_capacity),
                "max_capacity": float(settings.aurora.max_capacity),
            },
            preferred_backup_window=settings.backup_window,
            preferred_maintenance_window=settings.maintenance_window,
            tags=ctx.tags(identifier),
            opts=ctx.tagged_child(self, protect=self.protect, depends_on=self._log_groups("cluster", identifier)),
            **self._common(),
        )
        # Multi-AZ for Aurora: a reader in another AZ that failover promotes.
        self.instances = [
            aws.rds.ClusterInstance(
                f"{name}-cluster-instance-{index + 1}",
                identifier=ctx.namer.check(f"{identifier}-{index + 1}", "rds"),
                cluster_identifier=cluster.id,
                engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                engine_version=cluster.engine_version,
                instance_class=SERVERLESS_INSTANCE_CLASS,
                db_subnet_group_name=self.subnet_group.name,
                publicly_accessible=False,
                ca_cert_identifier=CA_CERTIFICATE,
                auto_minor_version_upgrade=True,
                copy_tags_to_snapshot=True,
                promotion_tier=index,
                tags=ctx.tags(f"{identifier}-{index + 1}"),
                opts=ctx.tagged_child(self, protect=self.protect, depends_on=self.monitoring_dependencies),
                **self._performance_insights(),
            )
            for index in range(2 if settings.multi_az else 1)
        ]
        self.address, self.port = cluster.endpoint, cluster.port
        self.identifier, self.arn = cluster.cluster_identifier, cluster.arn
        self.resource_id = cluster.cluster_resource_id
        self.secret_arn = cluster.master_user_secrets.apply(_managed_secret_arn)


def _managed_secret_arn(secrets: Any) -> str:
    """The ARN of the secret RDS created for the master user (manage_master_user_password)."""
    if not secrets or not secrets[0].secret_arn:
        raise RuntimeError("RDS returned no master user secret although manage_master_user_password is set")
    return str(secrets[0].secret_arn)

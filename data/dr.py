"""Optional disaster recovery (`data:dr.enabled`): copies in a second region.

- RDS automated backups (snapshots and transaction logs) replicated to the DR region, encrypted
  with a key of that region: a point-in-time restore there needs nothing from the primary region.
- The audit bucket replicated object by object to a bucket in the DR region (same lifecycle),
  re-encrypted with the DR key. Deletes are not replicated: the DR copy is the untouched trail.

Resources in the DR region use the stack's one provider with `region=` (pulumi-aws v7), so the
allowed-account guard and deploy role apply to them too.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from data.access_logs_bucket import AccessLogsBucket, AccessLogsBucketArgs
from data.audit_bucket import AuditBucket, AuditBucketArgs
from data.kms import DataKey, DataKeyArgs
from shared.context import LayerContext
from shared.roles import service_role


@dataclass(frozen=True)
class DisasterRecoveryArgs:
    region: str
    source_key_arn: pulumi.Input[str]
    audit: AuditBucketArgs  # the primary bucket's settings, reused for its replica
    source_bucket: aws.s3.Bucket
    source_versioning: aws.s3.BucketVersioning
    db_instance_arn: pulumi.Input[str] | None  # None: no RDS instance (see settings: Aurora)
    backup_retention_days: int


class DisasterRecovery(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: DisasterRecoveryArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:DisasterRecovery", name, None, opts)
        dr, primary = args.region, ctx.region
        self.key = DataKey(f"{name}-key", DataKeyArgs("data-dr", dr, args.audit.protect), ctx, ctx.child(self))
        # S3 writes access logs only into a bucket of the source bucket's region.
        access_logs = AccessLogsBucket(
            f"{name}-access-logs",
            AccessLogsBucketArgs(
                args.audit.expiration_days, args.audit.incomplete_upload_days, args.audit.protect, region=dr
            ),
            ctx,
            ctx.child(self),
        )
        self.audit = AuditBucket(
            f"{name}-audit",
            AuditBucketArgs(
                kms_key_arn=self.key.arn,
                transition_days=args.audit.transition_days,
                expiration_days=args.audit.expiration_days,
                noncurrent_expiration_days=args.audit.noncurrent_expiration_days,
                incomplete_upload_days=args.audit.incomplete_upload_days,
                protect=args.audit.protect,
                region=dr,
                access_log_bucket=access_logs.bucket.bucket,
                resource_type="audit-dr",
                enforce_upload_key=False,
            ),
            ctx,
            ctx.child(self),
        )
        source, target = args.source_bucket.arn, self.audit.bucket.arn
        role = service_role(
            f"{name}-replication-role",
            role_type="role-audit-replication",
            service="s3.amazonaws.com",
            description="S3 replicates the audit trail to the DR region",
            statements=[
                {
                    "Sid": "ReadReplicationSource",
                    "Effect": "Allow",
                    "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    "Resource": source,
                },
                {
                    "Sid": "ReadSourceVersions",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                    ],
                    "Resource": source.apply(lambda arn: f"{arn}/*"),
                },
                {
                    "Sid": "WriteReplicas",
                    "Effect": "Allow",
                    "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
                    "Resource": target.apply(lambda arn: f"{arn}/*"),
                },
                _s3_key_statement("DecryptSource", ["kms:Decrypt"], args.source_key_arn, primary, source),
                _s3_key_statement("EncryptReplicas", ["kms:Encrypt", "kms:GenerateDataKey"], self.key.arn, dr, target),
            ],
            ctx=ctx,
            parent=self,
        )
        self.replication = aws.s3.BucketReplicationConfig(
            f"{name}-audit-replication",
            bucket=args.source_bucket.id,
            role=role.arn,
            rules=[
                {
                    "id": "audit-to-dr",
                    "status": "Enabled",
                    "priority": 1,
                    "filter": {},
                    "delete_marker_replication": {"status": "Disabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": target,
                        "storage_class": "STANDARD",
                        "encryption_configuration": {"replica_kms_key_id": self.key.arn},
                    },
                }
            ],
            opts=ctx.child(self, depends_on=[args.source_versioning, self.audit.versioning, role.policy]),
        )
        self.backups = (
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-db-backups",
                source_db_instance_arn=args.db_instance_arn,
                kms_key_id=self.key.arn,
                retention_period=args.backup_retention_days,
                region=dr,
                opts=ctx.child(self),
            )
            if args.db_instance_arn is not None
            else None
        )
        self.register_outputs({"region": dr, "auditBucketArn": target, "keyArn": self.key.arn})


def _s3_key_statement(
    sid: str, actions: list[str], key_arn: pulumi.Input[str], region: str, bucket_arn: pulumi.Output[str]
) -> dict[str, object]:
    """Key use through S3 only, for this bucket (bucket keys use the bucket ARN as context)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": key_arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, bucket_arn.apply(lambda arn: f"{arn}/*")]},
        },
    }

"""What every bucket of the platform is: its name, teardown, no ACLs, no public access, versioned,
encrypted by default, aged out by lifecycle rules, and (where it is given a target) access-logged.

The buckets differ only in their key, their retention, their policy and where their access logs go;
everything else is here, once.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext


@dataclass(frozen=True)
class Retention:
    """How long objects live. Replaced and deleted versions are kept `noncurrent_days`, incomplete
    uploads are aborted after `incomplete_upload_days`, expired delete markers are removed, and with
    `transition_days` objects move to S3 Intelligent-Tiering."""

    rule_id: str
    expiration_days: int
    noncurrent_days: int
    incomplete_upload_days: int
    transition_days: int | None = None

    @classmethod
    def log_files(cls, rule_id: str, days: int, incomplete_upload_days: int) -> "Retention":
        """A log bucket's: a file is kept `days`, and a replaced or deleted one as long as a current one."""
        return cls(rule_id, expiration_days=days, noncurrent_days=days, incomplete_upload_days=incomplete_upload_days)

    def rules(self) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
        retention: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": self.rule_id,
            "status": "Enabled",
            "filter": {},
            "expiration": {"days": self.expiration_days},
            "noncurrent_version_expiration": {"noncurrent_days": self.noncurrent_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": self.incomplete_upload_days},
        }
        if self.transition_days is not None:
            retention["transitions"] = [{"days": self.transition_days, "storage_class": "INTELLIGENT_TIERING"}]
        delete_markers: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "expired-delete-markers",
            "status": "Enabled",
            "filter": {},
            "expiration": {"expired_object_delete_marker": True},
        }
        return [retention, delete_markers]


@dataclass(frozen=True)
class PrivateBucketArgs:
    resource_type: str
    region: str
    retention: Retention
    # None: SSE-S3 (what ALB log delivery and S3 access logging require); a key ARN: SSE-KMS with a bucket key.
    kms_key_arn: pulumi.Input[str] | None
    # Protected buckets are neither destroyed nor emptied by Pulumi (`protect`, no force_destroy).
    protect: bool
    # The bucket S3 server access logs of this bucket go to; None only for the access-log bucket itself.
    access_log_bucket: pulumi.Input[str] | None


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    public_access: aws.s3.BucketPublicAccessBlock  # bucket policies wait for it
    versioning: aws.s3.BucketVersioning  # lifecycle rules and replication wait for it
    encryption: aws.s3.BucketServerSideEncryptionConfiguration


def private_bucket(name: str, args: PrivateBucketArgs, ctx: LayerContext, parent: pulumi.Resource) -> PrivateBucket:
    """A bucket named `{resource_type}-{env}-{suffix}-{account}-{region}` in `args.region`."""
    region = None if args.region == ctx.region else args.region
    bucket_name = ctx.namer.global_name(args.resource_type, ctx.account_id, args.region)
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        bucket=bucket_name,
        force_destroy=not args.protect,  # unprotected buckets go without manual steps (docs/design.md)
        tags=ctx.tags(bucket_name),
        opts=ctx.tagged_child(parent, protect=args.protect),
        region=region,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=ctx.child(parent),
        region=region,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=ctx.child(parent),
        region=region,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=ctx.child(parent),
        region=region,
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[_encryption_rule(args.kms_key_arn)],
        opts=ctx.child(parent),
        region=region,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=args.retention.rules(),
        opts=ctx.child(parent, depends_on=[versioning]),
        region=region,
    )
    if args.access_log_bucket is not None:
        aws.s3.BucketLogging(
            f"{name}-access-logs",
            bucket=bucket.id,
            target_bucket=args.access_log_bucket,
            target_prefix=f"{bucket_name}/",
            opts=ctx.child(parent),
            region=region,
        )
    return PrivateBucket(bucket, public_access, versioning, encryption)


def _encryption_rule(
    kms_key_arn: pulumi.Input[str] | None,
) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict:
    if kms_key_arn is None:
        return {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    return {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
        "bucket_key_enabled": True,
    }

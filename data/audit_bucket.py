"""The S3 audit trail: versioned, SSE-KMS with a bucket key, private, TLS only, aged out per environment.

The same component builds the DR copy in the DR region (`region`), encrypted with that region's key.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.private_bucket import private_bucket


@dataclass(frozen=True)
class AuditBucketArgs:
    kms_key_arn: pulumi.Input[str]
    transition_days: int
    expiration_days: int
    noncurrent_expiration_days: int
    incomplete_upload_days: int
    protect: bool
    region: str
    resource_type: str = "audit"
    # Refuse uploads that name another encryption or key. Off for a replica bucket, whose
    # writes come from S3 replication with the replica key.
    enforce_upload_key: bool = True


class AuditBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket

    def __init__(self, name: str, args: AuditBucketArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:AuditBucket", name, None, opts)
        region = None if args.region == ctx.region else args.region
        private = private_bucket(
            name, resource_type=args.resource_type, region=args.region, protect=args.protect, ctx=ctx, parent=self
        )
        self.bucket, public_access = private.bucket, private.public_access
        bucket = self.bucket.id
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket,
            versioning_configuration={"status": "Enabled"},
            opts=ctx.child(self),
            region=region,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.kms_key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=ctx.child(self),
            region=region,
        )
        statements = [iam.deny_insecure_transport(self.bucket.arn)]
        if args.enforce_upload_key:
            statements += _upload_key_statements(self.bucket.arn, args.kms_key_arn)
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket,
            policy=iam.to_json(iam.document(*statements)),
            opts=ctx.child(self, depends_on=[public_access]),
            region=region,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket,
            rules=[
                {
                    "id": "audit-retention",
                    "status": "Enabled",
                    "filter": {},
                    "transitions": [{"days": args.transition_days, "storage_class": "INTELLIGENT_TIERING"}],
                    "expiration": {"days": args.expiration_days},
                    "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_expiration_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": args.incomplete_upload_days},
                },
                {
                    "id": "expired-delete-markers",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"expired_object_delete_marker": True},
                },
            ],
            opts=ctx.child(self, depends_on=[self.versioning]),
            region=region,
        )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})


def _upload_key_statements(bucket_arn: pulumi.Output[str], key_arn: pulumi.Input[str]) -> list[dict[str, object]]:
    """Uploads may omit encryption headers (the default applies) but may not name another one."""
    objects = bucket_arn.apply(lambda arn: f"{arn}/*")
    return [
        {
            "Sid": "DenyOtherEncryption",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {
                "Null": {"s3:x-amz-server-side-encryption": "false"},
                "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            },
        },
        {
            "Sid": "DenyOtherKmsKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
            },
        },
    ]

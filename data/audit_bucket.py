"""The S3 audit trail: versioned, SSE-KMS with a bucket key, private, TLS only, access-logged, aged out per
environment.

The same component builds the DR copy in the DR region (`region`), encrypted with that region's key.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.private_bucket import PrivateBucketArgs, Retention, private_bucket


@dataclass(frozen=True)
class AuditBucketArgs:
    kms_key_arn: pulumi.Input[str]
    transition_days: int
    expiration_days: int
    noncurrent_expiration_days: int
    incomplete_upload_days: int
    protect: bool
    region: str
    access_log_bucket: pulumi.Input[str]  # an access-log bucket in `region` (S3 logs within a region only)
    resource_type: str = "audit"
    # Refuse uploads that name another encryption or key. Off for a replica bucket, whose
    # writes come from S3 replication with the replica key.
    enforce_upload_key: bool = True


class AuditBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning

    def __init__(self, name: str, args: AuditBucketArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:AuditBucket", name, None, opts)
        region = None if args.region == ctx.region else args.region
        private = private_bucket(
            name,
            PrivateBucketArgs(
                resource_type=args.resource_type,
                region=args.region,
                retention=Retention(
                    rule_id="audit-retention",
                    transition_days=args.transition_days,
                    expiration_days=args.expiration_days,
                    noncurrent_days=args.noncurrent_expiration_days,
                    incomplete_upload_days=args.incomplete_upload_days,
                ),
                kms_key_arn=args.kms_key_arn,
                protect=args.protect,
                access_log_bucket=args.access_log_bucket,
            ),
            ctx,
            self,
        )
        self.bucket, self.versioning = private.bucket, private.versioning
        statements = [iam.deny_insecure_transport(self.bucket.arn)]
        if args.enforce_upload_key:
            statements += _upload_key_statements(self.bucket.arn, args.kms_key_arn)
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=iam.to_json(iam.document(*statements)),
            opts=ctx.child(self, depends_on=[private.public_access]),
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

"""S3 server access logs of the environment's log buckets (the audit trail, the ALB logs, the CloudTrail
files): who read, wrote or deleted a log object, kept as long as audit records.

SSE-S3, because S3 log delivery cannot write with a KMS key; versioned; all public access blocked; TLS
only. Only S3's logging service may write, only into this bucket, and only logs of this environment's
buckets in this account (bucket names end in `-<env>-<suffix>-<account>-<region>`). Its own accesses
are not logged: that would need a bucket of its own, and so on forever; CloudTrail records the API
calls that change it.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.private_bucket import PrivateBucketArgs, Retention, private_bucket

LOG_DELIVERY = "logging.s3.amazonaws.com"


@dataclass(frozen=True)
class AccessLogsBucketArgs:
    expiration_days: int  # data:auditExpirationDays: access logs of audit records are audit records
    incomplete_upload_days: int
    protect: bool
    region: str


class AccessLogsBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket

    def __init__(
        self, name: str, args: AccessLogsBucketArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:AccessLogsBucket", name, None, opts)
        region = None if args.region == ctx.region else args.region
        private = private_bucket(
            name,
            PrivateBucketArgs(
                resource_type="access-logs",
                region=args.region,
                retention=Retention.log_files(
                    "access-log-retention", args.expiration_days, args.incomplete_upload_days
                ),
                kms_key_arn=None,  # S3 server access logging writes SSE-S3 only
                protect=args.protect,
                access_log_bucket=None,
            ),
            ctx,
            self,
        )
        self.bucket = private.bucket
        platform = ctx.platform
        sources = f"arn:aws:s3:::*-{platform.environment}-{platform.environment_suffix}-{ctx.account_id}-{args.region}"
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=iam.to_json(
                iam.document(
                    iam.deny_insecure_transport(self.bucket.arn),
                    {
                        "Sid": "S3LogsThisEnvironmentsBuckets",
                        "Effect": "Allow",
                        "Principal": {"Service": LOG_DELIVERY},
                        "Action": "s3:PutObject",
                        "Resource": self.bucket.arn.apply(lambda arn: f"{arn}/*"),
                        "Condition": {
                            "ArnLike": {"aws:SourceArn": sources},
                            "StringEquals": {"aws:SourceAccount": ctx.account_id},
                        },
                    },
                )
            ),
            opts=ctx.child(self, depends_on=[private.public_access]),
            region=region,
        )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})

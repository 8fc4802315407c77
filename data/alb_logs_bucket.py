"""ALB access logs: SSE-S3 (ALB log delivery cannot write SSE-KMS), private, TLS only, versioned,
access-logged, expiring.

Versioned, so a log object overwritten or deleted by mistake stays recoverable until its lifecycle
ends; current and replaced versions both expire after `expiration_days` (data:albLogExpirationDays:
90 days, a year in prod).
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.private_bucket import PrivateBucketArgs, Retention, private_bucket


@dataclass(frozen=True)
class AlbLogsBucketArgs:
    expiration_days: int  # data:albLogExpirationDays
    incomplete_upload_days: int
    access_log_bucket: pulumi.Input[str]


class AlbLogsBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning

    def __init__(
        self, name: str, args: AlbLogsBucketArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:AlbLogsBucket", name, None, opts)
        account = ctx.account_id
        private = private_bucket(
            name,
            PrivateBucketArgs(
                resource_type="alb-logs",
                region=ctx.region,
                retention=Retention.log_files("alb-log-retention", args.expiration_days, args.incomplete_upload_days),
                kms_key_arn=None,  # ALB log delivery writes SSE-S3 only
                protect=False,
                access_log_bucket=args.access_log_bucket,
            ),
            ctx,
            self,
        )
        self.bucket, self.versioning = private.bucket, private.versioning
        bucket = self.bucket.id
        # The regional Elastic Load Balancing account (regions before August 2022) and the log
        # delivery service principal (newer regions) may write this account's prefix only.
        elb_account = aws.elb.get_service_account_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=ctx.provider)
        )
        log_objects = self.bucket.arn.apply(lambda arn: f"{arn}/AWSLogs/{account}/*")
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket,
            policy=iam.to_json(
                iam.document(
                    iam.deny_insecure_transport(self.bucket.arn),
                    {
                        "Sid": "RegionalElbAccountWritesLogs",
                        "Effect": "Allow",
                        "Principal": {"AWS": elb_account.arn},
                        "Action": "s3:PutObject",
                        "Resource": log_objects,
                    },
                    {
                        "Sid": "ElbLogDeliveryWritesLogs",
                        "Effect": "Allow",
                        "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": log_objects,
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    },
                )
            ),
            opts=ctx.child(self, depends_on=[private.public_access]),
        )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})

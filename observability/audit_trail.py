"""The audit of the audit: a CloudTrail trail per environment that records every management event and
every read and write of the audit bucket's objects (who read or changed an audit record), with
log-file validation (tamper evidence), encrypted with a key of its own, into a private, access-logged
bucket that keeps the files `observability:trailRetentionDays`, and into a log group encrypted with
the same key, where the CIS metric filters review it (`trail_alarms.py`).

A key of its own, not the data key: the data key's users (the functions, RDS, S3 for the audit
bucket) have no business decrypting the trail, and the trail's readers none decrypting payments.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext
from shared.private_bucket import PrivateBucketArgs, Retention, private_bucket
from shared.roles import service_role

CLOUDTRAIL = "cloudtrail.amazonaws.com"


def trail_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{name}"


def trail_key_policy(account_id: str, region: str, trail: str, log_group: str) -> dict[str, Any]:
    """Administered by the account; CloudTrail encrypts for this trail only; the account's principals
    decrypt trail files of this account only (and use the key through S3, the bucket's default);
    CloudWatch Logs encrypts the trail's log group only."""
    trails_of_account = f"arn:aws:cloudtrail:*:{account_id}:trail/*"
    return iam.document(
        iam.key_administration_statement(account_id),
        {
            "Sid": "CloudTrailEncryptsThisTrail",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails_of_account},
            },
        },
        {
            "Sid": "CloudTrailDescribesKey",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail}},
        },
        {
            "Sid": "AccountDecryptsTrailFiles",
            "Effect": "Allow",
            "Principal": {"AWS": iam.account_root(account_id)},
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": account_id},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails_of_account},
            },
        },
        *iam.key_use_via_services_statements(account_id, region, ("s3",)),
        iam.logs_key_statement(region, account_id, log_group),
    )


def bucket_policy(bucket_arn: pulumi.Output[str], account_id: str, trail: str) -> dict[str, Any]:
    """TLS only; CloudTrail (this trail only) checks the ACL and writes this account's prefix."""
    return iam.document(
        iam.deny_insecure_transport(bucket_arn),
        {
            "Sid": "CloudTrailChecksAcl",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail}},
        },
        {
            "Sid": "CloudTrailWritesThisTrail",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:PutObject",
            "Resource": bucket_arn.apply(lambda arn: f"{arn}/AWSLogs/{account_id}/*"),
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control"},
            },
        },
    )


@dataclass(frozen=True)
class AuditTrailArgs:
    audit_bucket_arn: pulumi.Input[str]  # data contract: whose object reads and writes are recorded
    retention_days: int  # observability:trailRetentionDays (a CloudWatch Logs value: the log group's too)
    protect: bool  # observability:protectAuditTrail: bucket, key and log group survive `pulumi destroy`
    access_log_bucket: pulumi.Input[str]  # data contract: accessLogsBucketName
    incomplete_upload_days: int = 7


class AuditTrail(pulumi.ComponentResource):
    trail: aws.cloudtrail.Trail
    bucket: aws.s3.Bucket
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: AuditTrailArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:AuditTrail", name, None, opts)
        trail_name = ctx.name("trail", "cloudtrail")
        arn = trail_arn(ctx.region, ctx.account_id, trail_name)
        env = f"{ctx.platform.environment}-{ctx.platform.environment_suffix}"
        group_name = ctx.namer.check(f"/aws/cloudtrail/{trail_name}", "logs")
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"CloudTrail files of {env}",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=iam.to_json(trail_key_policy(ctx.account_id, ctx.region, arn, group_name)),
            tags=ctx.tags(ctx.name("kms-trail")),
            opts=ctx.tagged_child(self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=ctx.namer.check(f"alias/{ctx.name('trail')}", "kms-alias"),
            target_key_id=self.key.key_id,
            opts=ctx.child(self),
        )
        private = private_bucket(
            name,
            PrivateBucketArgs(
                resource_type="trail",
                region=ctx.region,
                retention=Retention.log_files("trail-retention", args.retention_days, args.incomplete_upload_days),
                kms_key_arn=self.key.arn,
                protect=args.protect,
                access_log_bucket=args.access_log_bucket,
            ),
            ctx,
            self,
        )
        self.bucket, bucket = private.bucket, private.bucket.id
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket,
            policy=iam.to_json(bucket_policy(self.bucket.arn, ctx.account_id, arn)),
            opts=ctx.child(self, depends_on=[private.public_access]),
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=group_name,
            retention_in_days=args.retention_days,
            kms_key_id=self.key.arn,
            tags=ctx.tags(group_name),
            opts=ctx.tagged_child(self, protect=args.protect),
        )
        delivery = service_role(
            f"{name}-logs-role",
            role_type="role-trail-logs",
            service=CLOUDTRAIL,
            description="CloudTrail delivers this trail to its log group (and nothing else)",
            statements=[
                {
                    "Sid": "DeliverTrailToItsLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": self.log_group.arn.apply(lambda group: f"{group}:log-stream:*"),
                }
            ],
            ctx=ctx,
            parent=self,
            source_arn=arn,
        )
        audit_objects = pulumi.Output.from_input(args.audit_bucket_arn).apply(lambda bucket_arn: f"{bucket_arn}/")
        selector = aws.cloudtrail.TrailAdvancedEventSelectorArgs
        field = aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=bucket,
            kms_key_id=self.key.arn,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda group: f"{group}:*"),
            cloud_watch_logs_role_arn=delivery.arn,
            enable_log_file_validation=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_logging=True,
            advanced_event_selectors=[
                selector(
                    name="Management events", field_selectors=[field(field="eventCategory", equals=["Management"])]
                ),
                selector(
                    name="Audit bucket object reads and writes",
                    field_selectors=[
                        field(field="eventCategory", equals=["Data"]),
                        field(field="resources.type", equals=["AWS::S3::Object"]),
                        field(field="resources.ARN", starts_withs=[audit_objects]),
                    ],
                ),
            ],
            tags=ctx.tags(trail_name),
            # CloudTrail checks at create that it may write to the bucket and log group and use the key.
            opts=ctx.tagged_child(self, depends_on=[policy, private.encryption, delivery.policy]),
        )
        self.arn = self.trail.arn
        self.register_outputs({"trailArn": self.trail.arn, "bucket": self.bucket.bucket})

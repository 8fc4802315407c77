"""The data layer's customer-managed key: one per environment (and one in the DR region).

One key, not one per store: every store it protects holds the same data class (payments), the
same roles read them, and the key policy already confines use to the named services. A key per
store would multiply policies and grants without separating any reader from any data.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext

# AWS services that may use the key on behalf of this account's roles (kms:ViaService):
# the data stores of this layer and the application layer's queue, topic and functions.
KEY_SERVICES: tuple[str, ...] = ("rds", "secretsmanager", "ssm", "dynamodb", "s3", "sqs", "sns", "lambda")
# Service principals that encrypt on their own behalf (no ViaService), confined to this account.
KEY_SERVICE_PRINCIPALS: dict[str, str] = {
    "SnsDeliversToEncryptedQueues": "sns.amazonaws.com",
    "CloudWatchAlarmsPublishToEncryptedTopics": "cloudwatch.amazonaws.com",
}


def key_policy(
    account_id: str,
    region: str,
    log_group_patterns: tuple[str, ...],
    autoscaling_role_arn: pulumi.Input[str] | None = None,
) -> dict[str, object]:
    """Nobody holds kms:*: the account administers (no use), services use, logs only for ours, and
    (with `autoscaling_role_arn`) the web tier's Auto Scaling service-linked role launches
    instances with volumes encrypted by this key."""
    return iam.document(
        iam.key_administration_statement(account_id),
        *iam.key_use_via_services_statements(account_id, region, KEY_SERVICES),
        iam.logs_key_statement(region, account_id, *log_group_patterns),
        *(
            iam.service_principal_key_statement(sid, service, account_id)
            for sid, service in KEY_SERVICE_PRINCIPALS.items()
        ),
        *(iam.autoscaling_ebs_key_statements(autoscaling_role_arn) if autoscaling_role_arn else ()),
    )


@dataclass(frozen=True)
class DataKeyArgs:
    purpose: str  # "data" (primary) or "dr"
    region: str
    protect: bool
    # The service-linked role Auto Scaling launches the web tier with (EBS encrypted with this key).
    autoscaling_role_arn: pulumi.Input[str] | None = None
    # Log groups outside this environment's names the key encrypts (RDSOSMetrics, where this stack owns it).
    extra_log_groups: tuple[str, ...] = ()


class DataKey(pulumi.ComponentResource):
    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(self, name: str, args: DataKeyArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:DataKey", name, None, opts)
        env = f"{ctx.platform.environment}-{ctx.platform.environment_suffix}"
        region = None if args.region == ctx.region else args.region
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Payments data at rest of {env} ({args.purpose}, {args.region})",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=iam.to_json(
                key_policy(
                    ctx.account_id, args.region, (f"*-{env}*", *args.extra_log_groups), args.autoscaling_role_arn
                )
            ),
            tags=ctx.tags(ctx.name(f"kms-{args.purpose}")),
            opts=ctx.tagged_child(self, protect=args.protect),
            region=region,
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=ctx.namer.check(f"alias/{ctx.name(args.purpose)}", "kms-alias"),
            target_key_id=self.key.key_id,
            opts=ctx.child(self),
            region=region,
        )
        self.arn = self.key.arn
        self.register_outputs({"keyArn": self.key.arn, "alias": self.alias.name})

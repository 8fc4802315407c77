"""The alarm topic: encrypted with the data key, only CloudWatch alarms of this account and region may
publish, the stack file's addresses subscribed by email."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext

CLOUDWATCH = "cloudwatch.amazonaws.com"


def topic_policy(topic_arn: pulumi.Input[str], account_id: str, region: str) -> dict[str, Any]:
    """CloudWatch may publish, for this account's alarms in this region only (confused-deputy guard)."""
    return iam.document(
        {
            "Sid": "CloudWatchAlarmsOfThisAccountPublish",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDWATCH},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"},
            },
        }
    )


@dataclass(frozen=True)
class AlarmTopicArgs:
    kms_key_arn: pulumi.Input[str]  # the data key: its policy lets CloudWatch use it for this account
    emails: Sequence[str]


class AlarmTopic(pulumi.ComponentResource):
    topic: aws.sns.Topic
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:AlarmTopic", name, None, opts)
        physical = ctx.name("alarms", "sns")
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=physical,
            display_name=f"Payments alarms {ctx.platform.environment}",
            kms_master_key_id=args.kms_key_arn,
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        self.arn = self.topic.arn
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=iam.to_json(topic_policy(self.topic.arn, ctx.account_id, ctx.region)),
            opts=ctx.child(self),
        )
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index + 1}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=ctx.child(self),
            )
        self.register_outputs({"arn": self.topic.arn})

"""Settlement notifications: an SNS topic encrypted with the data key, email subscribers from config,
and a topic policy under which only the settlement worker's role may publish.

The policy names the publisher by `aws:PrincipalArn` conditions rather than as a principal, so it
can be written before the worker's role exists (the worker needs the topic's ARN first) and
still admits nobody else: an explicit Deny covers every other principal, and every request must
use TLS.

Email subscriptions stay "pending confirmation" until the recipient follows the link AWS mails;
nothing is delivered before that. A pending subscription cannot be deleted through the API:
teardown drops it from the stack and AWS expires it after about three days.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext


@dataclass(frozen=True)
class NotificationTopicArgs:
    kms_key_arn: pulumi.Input[str]
    publisher_role_arn: str  # the settlement worker's role (it may not exist yet)
    emails: Sequence[str]


def topic_policy(topic_arn: pulumi.Input[str], publisher_role_arn: str, account_id: str) -> dict[str, object]:
    only_publisher = {"ArnEquals": {"aws:PrincipalArn": publisher_role_arn}}
    return iam.document(
        {
            "Sid": "SettlementWorkerPublishes",
            "Effect": "Allow",
            "Principal": {"AWS": iam.account_root(account_id)},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": only_publisher,
        },
        {
            "Sid": "NobodyElsePublishes",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": publisher_role_arn}},
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:*",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


class NotificationTopic(pulumi.ComponentResource):
    topic: aws.sns.Topic

    def __init__(
        self, name: str, args: NotificationTopicArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:NotificationTopic", name, None, opts)
        physical = ctx.name("notifications", "sns")
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=physical,
            kms_master_key_id=args.kms_key_arn,
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=iam.to_json(topic_policy(self.topic.arn, args.publisher_role_arn, ctx.account_id)),
            opts=ctx.child(self),
        )
        # Logical names by position, so two environments' plans line up subscription by subscription.
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=ctx.child(self),
            )
        self.arn = self.topic.arn
        self.register_outputs({"topicArn": self.topic.arn})

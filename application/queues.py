"""The payment queue, its dead-letter queue, and the dead-letter queue of the functions' async failures.

Both paths end in a queue a person can inspect and redrive:
- a payment message the worker keeps failing moves to `payment-dlq` after `maxReceiveCount`
  deliveries (the queue's redrive policy); the DLQ's redrive-allow policy accepts only the payment
  queue, so a redrive can only send messages back where they came from;
- an asynchronous invocation that fails every retry lands in `lambda-dlq` (each function's
  `dead_letter_config`). API-invoked and queue-invoked functions are synchronous and never use it;
  it exists for the deploy-time invocations and anything invoked asynchronously later.
Every queue is encrypted with the data key.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext

# How long SQS reuses a data key before asking KMS again (5 minutes: fewer KMS calls, same key).
KMS_DATA_KEY_REUSE_SECONDS = 300


@dataclass(frozen=True)
class QueuesArgs:
    kms_key_arn: pulumi.Input[str]
    max_receive_count: int
    visibility_timeout_seconds: int
    message_retention_seconds: int
    dead_letter_retention_seconds: int


class Queues(pulumi.ComponentResource):
    payments: aws.sqs.Queue
    payments_dlq: aws.sqs.Queue
    lambda_dlq: aws.sqs.Queue

    def __init__(self, name: str, args: QueuesArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:Queues", name, None, opts)
        dead_letter_retention = args.dead_letter_retention_seconds
        self.payments_dlq = self._queue(f"{name}-payment-dlq", "payment-dlq", dead_letter_retention, args, ctx)
        self.payments = self._queue(
            f"{name}-payment",
            "payment-queue",
            args.message_retention_seconds,
            args,
            ctx,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.payments_dlq.arn, "maxReceiveCount": args.max_receive_count}
            ),
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-payment-dlq-redrive-allow",
            queue_url=self.payments_dlq.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [self.payments.arn]}
            ),
            opts=ctx.child(self),
        )
        self.lambda_dlq = self._queue(f"{name}-lambda-dlq", "lambda-dlq", dead_letter_retention, args, ctx)
        self.register_outputs(
            {
                "paymentQueueArn": self.payments.arn,
                "paymentDlqArn": self.payments_dlq.arn,
                "lambdaDlqArn": self.lambda_dlq.arn,
            }
        )

    def _queue(
        self,
        logical: str,
        resource_type: str,
        retention_seconds: int,
        args: QueuesArgs,
        ctx: LayerContext,
        *,
        visibility_timeout_seconds: int | None = None,
        redrive_policy: pulumi.Input[str] | None = None,
    ) -> aws.sqs.Queue:
        physical = ctx.name(resource_type, "sqs")
        return aws.sqs.Queue(
            logical,
            name=physical,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS,
            message_retention_seconds=retention_seconds,
            visibility_timeout_seconds=visibility_timeout_seconds,
            redrive_policy=redrive_policy,
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )

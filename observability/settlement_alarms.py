"""Settlement: the worker's SettlementFailed metric, the payment DLQ's depth, the payment queue's age,
and the depth of the functions' shared dead-letter queue (asynchronous invocations that failed).

With ReportBatchItemFailures a failed message is not a Lambda error: the worker's `Errors` stays at 0
while payments fail. These three alarms are what sees it.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability import metrics
from observability.alarm import AlarmDestination, Condition, metric_alarm
from observability.settings import AlarmThresholds
from payments import metric_names
from shared.context import LayerContext


@dataclass(frozen=True)
class SettlementAlarmsArgs:
    service: pulumi.Input[str]  # the `service` dimension of the functions' metrics (metricsServiceName)
    queue_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    lambda_dlq_name: pulumi.Input[str]  # the functions' shared dead-letter queue (failed async invocations)
    thresholds: AlarmThresholds
    destination: AlarmDestination


class SettlementAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: SettlementAlarmsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:observability:SettlementAlarms", name, None, opts)
        limits, destination = args.thresholds, args.destination
        failed = metric_alarm(
            f"{name}-failed",
            alarm_type="settlement-failed",
            description=f"{limits.settlement_failures} or more payment messages failed settlement (they retry, "
            "then go to the DLQ)",
            metric=metrics.custom(metric_names.SETTLEMENT_FAILED, args.service),
            stat="Sum",
            condition=Condition(limits.settlement_failures, "GreaterThanOrEqualToThreshold", "notBreaching"),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        dlq = metric_alarm(
            f"{name}-dlq-depth",
            alarm_type="payment-dlq-depth",
            description=f"{limits.dlq_depth} or more payments in the dead-letter queue: inspect, fix, redrive",
            metric=metrics.queue("ApproximateNumberOfMessagesVisible", args.dlq_name),
            stat="Maximum",
            period_seconds=60,
            # SQS stops reporting an idle queue: no data means an empty DLQ
            condition=Condition(limits.dlq_depth, "GreaterThanOrEqualToThreshold", "notBreaching"),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        age = metric_alarm(
            f"{name}-queue-age",
            alarm_type="payment-queue-age",
            description=f"the oldest payment waiting for settlement is older than {limits.queue_age_seconds} s",
            metric=metrics.queue("ApproximateAgeOfOldestMessage", args.queue_name),
            stat="Maximum",
            period_seconds=60,
            condition=Condition(
                limits.queue_age_seconds, "GreaterThanOrEqualToThreshold", "notBreaching", evaluation_periods=5
            ),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        lambda_dlq = metric_alarm(
            f"{name}-lambda-dlq-depth",
            alarm_type="lambda-dlq-depth",
            description=f"{limits.lambda_dlq_depth} or more failed asynchronous invocations in the functions' "
            "dead-letter queue: inspect, fix, replay",
            metric=metrics.queue("ApproximateNumberOfMessagesVisible", args.lambda_dlq_name),
            stat="Maximum",
            period_seconds=60,
            condition=Condition(limits.lambda_dlq_depth, "GreaterThanOrEqualToThreshold", "notBreaching"),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        self.alarms = {
            "settlementFailed": failed,
            "paymentDlqDepth": dlq,
            "paymentQueueAge": age,
            "lambdaDlqDepth": lambda_dlq,
        }
        self.critical = [failed, dlq, age]
        self.register_outputs({"alarmNames": {key: alarm.name for key, alarm in self.alarms.items()}})

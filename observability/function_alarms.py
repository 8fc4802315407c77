"""Lambda, per function: errors (>= 5 in 5 minutes), throttles, and p99 duration close to the timeout."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability import metrics
from observability.alarm import AlarmDestination, Condition, metric_alarm
from observability.settings import AlarmThresholds
from shared.context import LayerContext


def duration_ms(percent: int, timeout_seconds: int) -> float:
    """`percent` of a timeout, in the milliseconds Lambda's Duration metric reports."""
    return float(timeout_seconds) * 1000 * percent / 100


@dataclass(frozen=True)
class WatchedFunction:
    """`alarm_prefix`: how its alarms are named (e.g. process-payment); `timeout_seconds` from the contract."""

    alarm_prefix: str
    function_name: pulumi.Input[str]
    timeout_seconds: pulumi.Input[int]


@dataclass(frozen=True)
class FunctionAlarmsArgs:
    functions: Mapping[str, WatchedFunction]  # keyed like the application contract (processPayment, ...)
    thresholds: AlarmThresholds
    destination: AlarmDestination


class FunctionAlarms(pulumi.ComponentResource):
    """`alarms`: `{key}Errors`, `{key}Throttles`, `{key}Duration` per function; `critical`: the errors."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: FunctionAlarmsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:observability:FunctionAlarms", name, None, opts)
        limits, destination = args.thresholds, args.destination
        self.alarms, self.critical = {}, []
        for key, watched in args.functions.items():
            prefix, fn = watched.alarm_prefix, watched.function_name
            errors = metric_alarm(
                f"{name}-{prefix}-errors",
                alarm_type=f"{prefix}-errors",
                description=f"{prefix}: {limits.lambda_errors} or more errors in 5 minutes",
                metric=metrics.function("Errors", fn),
                stat="Sum",
                period_seconds=300,  # the platform's rule is "in 5 minutes", whatever the alarm period
                condition=Condition(limits.lambda_errors, "GreaterThanOrEqualToThreshold", "notBreaching"),
                destination=destination,
                ctx=ctx,
                parent=self,
            )
            throttles = metric_alarm(
                f"{name}-{prefix}-throttles",
                alarm_type=f"{prefix}-throttles",
                description=f"{prefix}: {limits.lambda_throttles} or more throttled invocations (reserved concurrency)",
                metric=metrics.function("Throttles", fn),
                stat="Sum",
                condition=Condition(limits.lambda_throttles, "GreaterThanOrEqualToThreshold", "notBreaching"),
                destination=destination,
                ctx=ctx,
                parent=self,
            )
            percent = limits.duration_percent_of_timeout
            duration = metric_alarm(
                f"{name}-{prefix}-duration",
                alarm_type=f"{prefix}-duration",
                description=f"{prefix}: p99 duration above {percent}% of its timeout (timeouts are next)",
                metric=metrics.function("Duration", fn),
                stat="p99",
                condition=Condition(
                    pulumi.Output.from_input(watched.timeout_seconds).apply(functools.partial(duration_ms, percent)),
                    "GreaterThanThreshold",
                    "notBreaching",
                    evaluation_periods=3,
                    datapoints_to_alarm=2,
                ),
                destination=destination,
                ctx=ctx,
                parent=self,
            )
            self.alarms |= {f"{key}Errors": errors, f"{key}Throttles": throttles, f"{key}Duration": duration}
            self.critical.append(errors)
        self.register_outputs({"alarmNames": {key: alarm.name for key, alarm in self.alarms.items()}})

"""One way to declare an alarm: named by the platform, ALARM and OK to the alarm topic, missing data
treated on purpose. Every alarm component builds its alarms through `metric_alarm`."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pulumi
import pulumi_aws as aws

from observability.metrics import Metric
from shared.context import LayerContext

Comparison = Literal[
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]
# notBreaching: no data means nothing happened (no errors, no messages). breaching: no data means the
# thing that should report has stopped (a database, the web tier): that is an incident in itself.
MissingData = Literal["notBreaching", "breaching"]


class AlarmGroup(Protocol):
    """What every alarm component offers: its alarms by contract key, and those that page as critical."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]


@dataclass(frozen=True)
class AlarmDestination:
    """Where every alarm sends its ALARM and OK notifications, and the period of count and rate alarms."""

    topic_arn: pulumi.Input[str]
    period_seconds: int


@dataclass(frozen=True)
class Condition:
    threshold: pulumi.Input[float]
    comparison: pulumi.Input[Comparison]
    missing_data: MissingData
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None


@dataclass(frozen=True)
class Query:
    """One metric of a metric-math alarm (`id` is what the expression calls it)."""

    id: str
    metric: Metric
    stat: str


def metric_alarm(
    logical_name: str,
    *,
    alarm_type: str,
    description: pulumi.Input[str],
    condition: Condition,
    destination: AlarmDestination,
    ctx: LayerContext,
    parent: pulumi.Resource,
    metric: Metric | None = None,
    stat: str = "Sum",
    period_seconds: int | None = None,
    expression: str | None = None,
    queries: Sequence[Query] = (),
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on `metric` with `stat` (Sum, Average, Maximum, Minimum or a percentile such as p99), or
    on `expression` over `queries` (metric math). Named `{alarm_type}-{env}-{suffix}`."""
    period = period_seconds or destination.period_seconds
    physical = ctx.name(alarm_type, "cloudwatch")
    common: dict[str, Any] = {
        "name": physical,
        "alarm_description": description,
        "comparison_operator": condition.comparison,
        "threshold": condition.threshold,
        "evaluation_periods": condition.evaluation_periods,
        "datapoints_to_alarm": condition.datapoints_to_alarm or condition.evaluation_periods,
        "treat_missing_data": condition.missing_data,
        "actions_enabled": True,
        "alarm_actions": [destination.topic_arn],
        "ok_actions": [destination.topic_arn],
        "tags": ctx.tags(physical),
        "opts": ctx.tagged_child(parent),
    }
    if expression is not None:
        return aws.cloudwatch.MetricAlarm(
            logical_name,
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="result", expression=expression, label=alarm_type, return_data=True
                ),
                *(
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=query.id,
                        return_data=False,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            **query.metric.query(query.stat, period)
                        ),
                    )
                    for query in queries
                ),
            ],
            **common,
        )
    if metric is None:
        raise ValueError(f"{logical_name}: an alarm needs a metric or an expression")
    percentile = stat.startswith("p")
    return aws.cloudwatch.MetricAlarm(
        logical_name,
        **metric.alarm_args(),
        period=period,
        statistic=None if percentile else stat,
        extended_statistic=stat if percentile else None,
        **common,
    )

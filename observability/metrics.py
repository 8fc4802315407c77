"""Which metric each alarm and widget reads: namespace, name and the exact dimension set.

CloudWatch matches a metric by namespace, name and *all* of its dimensions, so a typo or a missing
dimension makes an alarm watch a metric nobody emits (it then sits in INSUFFICIENT_DATA, or OK
forever with notBreaching). The functions' custom metrics come from `payments.metric_names`, the
module the functions emit them with (Powertools adds the `service` dimension); AWS's metrics use
the dimensions each service documents.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from payments import metric_names

LAMBDA = "AWS/Lambda"
SQS = "AWS/SQS"
RDS = "AWS/RDS"
API_GATEWAY = "AWS/ApiGateway"
ALB = "AWS/ApplicationELB"
AUTO_SCALING = "AWS/AutoScaling"

# The data contract's databaseEngine -> the dimension naming its databaseIdentifier.
DATABASE_DIMENSION: Mapping[str, str] = {"postgres": "DBInstanceIdentifier", "aurora-postgresql": "DBClusterIdentifier"}


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: pulumi.Input[str]
    # A mapping, or an Output of one when a dimension's *name* comes from a contract (the database's).
    dimensions: pulumi.Input[Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)

    def alarm_args(self) -> dict[str, Any]:
        """The MetricAlarm arguments that name this metric."""
        return {"namespace": self.namespace, "metric_name": self.name, "dimensions": self.dimensions}

    def query(self, stat: str, period: int) -> dict[str, Any]:
        """The `metric` of a metric-math query (MetricAlarmMetricQueryMetricArgs)."""
        return {**self.alarm_args(), "stat": stat, "period": period}

    def row(self, **options: Any) -> pulumi.Output[list[Any]]:
        """A dashboard metric row: namespace, name, then dimension name/value pairs, then options."""

        def build(resolved: list[Any]) -> list[Any]:
            name, dimensions = resolved
            pairs = [part for key, val in dimensions.items() for part in (key, val)]
            return [self.namespace, name, *pairs, *([options] if options else [])]

        return pulumi.Output.all(self.name, self.dimensions).apply(build)


def custom(name: str, service: pulumi.Input[str]) -> Metric:
    """A metric the payment functions emit (EMF through Powertools): `name` from payments.metric_names."""
    return Metric(metric_names.NAMESPACE, name, {metric_names.SERVICE_DIMENSION: service})


def function(name: str, function_name: pulumi.Input[str]) -> Metric:
    return Metric(LAMBDA, name, {"FunctionName": function_name})


def queue(name: str, queue_name: pulumi.Input[str]) -> Metric:
    return Metric(SQS, name, {"QueueName": queue_name})


def api(name: str, api_name: pulumi.Input[str], stage: pulumi.Input[str]) -> Metric:
    """REST API metrics: ApiName is the API's *name*, not its id."""
    return Metric(API_GATEWAY, name, {"ApiName": api_name, "Stage": stage})


def database(name: pulumi.Input[str], engine: pulumi.Input[str], identifier: pulumi.Input[str]) -> Metric:
    """RDS metrics of the instance (postgres) or the cluster (aurora-postgresql), per the data contract."""
    dimensions = pulumi.Output.all(engine, identifier).apply(lambda values: {DATABASE_DIMENSION[values[0]]: values[1]})
    return Metric(RDS, name, dimensions)


def load_balancer(
    name: str, load_balancer_suffix: pulumi.Input[str], target_group_suffix: pulumi.Input[str] | None = None
) -> Metric:
    """ALB metrics: `LoadBalancer` is the ALB's ARN suffix; per-target-group metrics add `TargetGroup`."""
    dimensions: dict[str, pulumi.Input[str]] = {"LoadBalancer": load_balancer_suffix}
    if target_group_suffix is not None:
        dimensions["TargetGroup"] = target_group_suffix
    return Metric(ALB, name, dimensions)


def auto_scaling_group(name: str, group_name: pulumi.Input[str]) -> Metric:
    return Metric(AUTO_SCALING, name, {"AutoScalingGroupName": group_name})

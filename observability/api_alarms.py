"""API Gateway: 4XX and 5XX as rates of all requests (metric math), and p99 latency.

A rate, not a count: 50 rejected requests are noise at 10,000 requests and an outage at 60. The
dimensions are the REST API's *name* and stage (ApiName, Stage), as API Gateway reports them.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability import metrics
from observability.alarm import AlarmDestination, Condition, Query, metric_alarm
from observability.settings import AlarmThresholds
from shared.context import LayerContext

# errors / requests in percent; a period without requests is 0 %, not a division by zero.
RATE_EXPRESSION = "IF(requests > 0, 100 * errors / requests, 0)"


@dataclass(frozen=True)
class ApiAlarmsArgs:
    api_name: pulumi.Input[str]
    stage: pulumi.Input[str]
    thresholds: AlarmThresholds
    destination: AlarmDestination


class ApiAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: ApiAlarmsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:ApiAlarms", name, None, opts)
        limits, destination = args.thresholds, args.destination
        requests = Query("requests", metrics.api("Count", args.api_name, args.stage), "Sum")

        def rate(kind: str, metric_name: str, percent: float, what: str) -> aws.cloudwatch.MetricAlarm:
            return metric_alarm(
                f"{name}-{kind}-rate",
                alarm_type=f"api-{kind}-rate",
                description=f"{what}: {percent:g}% or more of API requests answered {metric_name[:3]}",
                expression=RATE_EXPRESSION,
                queries=[Query("errors", metrics.api(metric_name, args.api_name, args.stage), "Sum"), requests],
                condition=Condition(percent, "GreaterThanOrEqualToThreshold", "notBreaching"),
                destination=destination,
                ctx=ctx,
                parent=self,
            )

        client = rate("4xx", "4XXError", limits.api_client_error_rate_percent, "merchants' requests refused")
        server = rate("5xx", "5XXError", limits.api_server_error_rate_percent, "the API is failing")
        latency = metric_alarm(
            f"{name}-latency",
            alarm_type="api-latency",
            description=f"p99 API latency above {limits.api_latency_p99_ms} ms for 10 of 15 minutes",
            metric=metrics.api("Latency", args.api_name, args.stage),
            stat="p99",
            condition=Condition(
                limits.api_latency_p99_ms, "GreaterThanThreshold", "notBreaching", 3, datapoints_to_alarm=2
            ),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        self.alarms = {"apiClientErrorRate": client, "apiServerErrorRate": server, "apiLatency": latency}
        self.critical = [server]
        self.register_outputs({"alarmNames": {key: alarm.name for key, alarm in self.alarms.items()}})

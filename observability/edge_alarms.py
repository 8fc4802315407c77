"""The ALB and the EC2 web tier: 5XX responses, unhealthy targets per colour (and the /api/* Lambda
target), p99 target response time, and the web tier's in-service instances.

Every dimension comes from the application contract (the edge's exports): the ALB's and each target
group's ARN suffix (LoadBalancer, TargetGroup) and each colour's Auto Scaling group name.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability import metrics
from observability.alarm import AlarmDestination, Condition, Query, metric_alarm
from observability.settings import AlarmThresholds
from shared.context import LayerContext
from shared.contracts import COLORS


@dataclass(frozen=True)
class EdgeDimensions:
    """The edge contract's values: albArnSuffix, lambdaTargetGroupArnSuffix, webTargetGroupArnSuffixes,
    webAutoScalingGroupNames (the last two keyed by colour)."""

    alb_arn_suffix: pulumi.Input[str]
    lambda_target_group_arn_suffix: pulumi.Input[str]
    web_target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    web_auto_scaling_group_names: Mapping[str, pulumi.Input[str]]


@dataclass(frozen=True)
class EdgeAlarmsArgs:
    edge: EdgeDimensions
    thresholds: AlarmThresholds
    destination: AlarmDestination


class EdgeAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: EdgeAlarmsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:EdgeAlarms", name, None, opts)
        limits, destination, edge = args.thresholds, args.destination, args.edge
        alb = edge.alb_arn_suffix
        alarm = functools.partial(metric_alarm, destination=destination, ctx=ctx, parent=self)
        server_errors = alarm(
            f"{name}-alb-5xx",
            alarm_type="alb-5xx",
            description=f"{limits.alb_server_errors} or more 5XX answers from the ALB or its targets",
            expression="FILL(elb, 0) + FILL(target, 0)",
            queries=[
                Query("elb", metrics.load_balancer("HTTPCode_ELB_5XX_Count", alb), "Sum"),
                Query("target", metrics.load_balancer("HTTPCode_Target_5XX_Count", alb), "Sum"),
            ],
            condition=Condition(limits.alb_server_errors, "GreaterThanOrEqualToThreshold", "notBreaching"),
        )
        response_time = alarm(
            f"{name}-target-response-time",
            alarm_type="alb-target-response-time",
            description=f"p99 target response time above {limits.target_response_p99_seconds:g} s",
            metric=metrics.load_balancer("TargetResponseTime", alb),
            stat="p99",
            condition=Condition(
                limits.target_response_p99_seconds, "GreaterThanThreshold", "notBreaching", 3, datapoints_to_alarm=2
            ),
        )
        targets: dict[str, pulumi.Input[str]] = {
            **{colour: edge.web_target_group_arn_suffixes[colour] for colour in COLORS},
            "api": edge.lambda_target_group_arn_suffix,
        }
        unhealthy = {
            f"{target}UnhealthyHosts": alarm(
                f"{name}-{target}-unhealthy",
                alarm_type=f"alb-{target}-unhealthy",
                description=f"{target} target group: at least one unhealthy target",
                metric=metrics.load_balancer("UnHealthyHostCount", alb, suffix),
                stat="Maximum",
                period_seconds=60,
                condition=Condition(1, "GreaterThanOrEqualToThreshold", "notBreaching", 3, datapoints_to_alarm=2),
            )
            for target, suffix in targets.items()
        }
        in_service = alarm(
            f"{name}-web-in-service",
            alarm_type="web-in-service",
            description=f"fewer than {limits.web_min_in_service} web instances in service (both colours together)",
            expression=" + ".join(f"FILL({colour}, 0)" for colour in COLORS),
            queries=[
                Query(
                    colour,
                    metrics.auto_scaling_group("GroupInServiceInstances", edge.web_auto_scaling_group_names[colour]),
                    "Minimum",
                )
                for colour in COLORS
            ],
            period_seconds=60,
            # Auto Scaling always reports a group it collects metrics for: silence is an outage.
            condition=Condition(limits.web_min_in_service, "LessThanThreshold", "breaching", 3, datapoints_to_alarm=2),
        )
        self.alarms = {
            "albServerErrors": server_errors,
            "albTargetResponseTime": response_time,
            **unhealthy,
            "webInService": in_service,
        }
        self.critical = [server_errors, in_service]
        self.register_outputs({"alarmNames": {key: alarm.name for key, alarm in self.alarms.items()}})

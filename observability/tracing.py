"""X-Ray: a group of the payment service's traces and the sampling rule of the payments API.

The functions' Powertools Tracer annotates every handler segment with `Service` (POWERTOOLS_SERVICE_NAME),
so the group filters on that annotation. Sampling is decided where a request enters: API Gateway
(segment name `<api name>/<stage>`) samples by this rule, and the functions follow its decision.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability.settings import TracingSettings
from shared.context import LayerContext

# Ahead of AWS's default rule (10000); low enough to leave room for narrower rules later.
SAMPLING_PRIORITY = 1000


def group_filter(service: str) -> str:
    return f'annotation.Service = "{service}"'


@dataclass(frozen=True)
class TracingArgs:
    service: pulumi.Input[str]  # metricsServiceName: the Service annotation of the functions' segments
    api_name: pulumi.Input[str]
    api_stage: pulumi.Input[str]
    settings: TracingSettings


class Tracing(pulumi.ComponentResource):
    group: aws.xray.Group
    rule: aws.xray.SamplingRule

    def __init__(self, name: str, args: TracingArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:Tracing", name, None, opts)
        group_name = ctx.name("payments", "xray")
        self.group = aws.xray.Group(
            f"{name}-group",
            group_name=group_name,
            filter_expression=pulumi.Output.from_input(args.service).apply(group_filter),
            insights_configuration=aws.xray.GroupInsightsConfigurationArgs(
                insights_enabled=True, notifications_enabled=False
            ),
            tags=ctx.tags(group_name),
            opts=ctx.tagged_child(self),
        )
        rule_name = ctx.name("payments-api", "xray")
        self.rule = aws.xray.SamplingRule(
            f"{name}-sampling",
            rule_name=rule_name,
            priority=SAMPLING_PRIORITY,
            version=1,
            reservoir_size=args.settings.reservoir_per_second,
            fixed_rate=args.settings.fixed_rate,
            service_name=pulumi.Output.concat(args.api_name, "/", args.api_stage),
            service_type="*",
            host="*",
            http_method="*",
            url_path="*",
            resource_arn="*",
            tags=ctx.tags(rule_name),
            opts=ctx.tagged_child(self),
        )
        self.register_outputs({"groupName": self.group.group_name, "ruleName": self.rule.rule_name})

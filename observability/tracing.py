"""X-Ray: a group of the payment service's traces and the sampling rule of the payments API.

What the services emit (the functions carry no tracing SDK: docs/design.md, "Tracing"): API Gateway
writes a segment named `<api name>/<stage>` (type `AWS::ApiGateway::Stage`) for each traced
request, and Lambda, for every function with active tracing, segments named after the function
(types `AWS::Lambda` and `AWS::Lambda::Function`). The group gathers every trace through the API
stage or one of the payment functions. Sampling is decided where a request enters: API Gateway
samples by this rule, and the functions follow its decision.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability.settings import TracingSettings
from shared.context import LayerContext

# Ahead of AWS's default rule (10000); low enough to leave room for narrower rules later.
SAMPLING_PRIORITY = 1000
API_STAGE_SEGMENT_TYPE = "AWS::ApiGateway::Stage"
FUNCTION_SEGMENT_TYPE = "AWS::Lambda::Function"


def api_stage_segment(api_name: str, api_stage: str) -> str:
    """The name of the segments API Gateway writes for a stage."""
    return f"{api_name}/{api_stage}"


def group_filter(api_segment: str, function_names: Sequence[str]) -> str:
    """Every trace through the API stage or one of the functions (an X-Ray filter expression)."""
    services = [f'service(id(name: "{api_segment}", type: "{API_STAGE_SEGMENT_TYPE}"))']
    services += [f'service(id(name: "{name}", type: "{FUNCTION_SEGMENT_TYPE}"))' for name in function_names]
    return " OR ".join(services)


@dataclass(frozen=True)
class TracingArgs:
    function_names: Sequence[pulumi.Input[str]]  # the payment functions, all with active tracing
    api_name: pulumi.Input[str]
    api_stage: pulumi.Input[str]
    settings: TracingSettings


class Tracing(pulumi.ComponentResource):
    group: aws.xray.Group
    rule: aws.xray.SamplingRule

    def __init__(self, name: str, args: TracingArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:Tracing", name, None, opts)
        group_name = ctx.name("payments", "xray")
        api_segment = pulumi.Output.all(args.api_name, args.api_stage).apply(lambda parts: api_stage_segment(*parts))
        self.group = aws.xray.Group(
            f"{name}-group",
            group_name=group_name,
            filter_expression=pulumi.Output.all(api_segment, *args.function_names).apply(
                lambda values: group_filter(values[0], values[1:])
            ),
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
            service_name=api_segment,
            service_type=API_STAGE_SEGMENT_TYPE,
            host="*",
            http_method="*",
            url_path="*",
            resource_arn="*",
            tags=ctx.tags(rule_name),
            opts=ctx.tagged_child(self),
        )
        self.register_outputs({"groupName": self.group.group_name, "ruleName": self.rule.rule_name})

"""'payments degraded': one page when any critical alarm is in ALARM (and one OK when all are clear)."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability.alarm import AlarmDestination
from shared.context import LayerContext


def alarm_rule(names: Sequence[str]) -> str:
    """`ALARM("a") OR ALARM("b") ...`: the composite's rule over the critical alarms' names."""
    return " OR ".join(f'ALARM("{name}")' for name in names)


@dataclass(frozen=True)
class PaymentsDegradedArgs:
    critical: Sequence[aws.cloudwatch.MetricAlarm]
    destination: AlarmDestination


class PaymentsDegraded(pulumi.ComponentResource):
    alarm: aws.cloudwatch.CompositeAlarm

    def __init__(
        self, name: str, args: PaymentsDegradedArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:observability:PaymentsDegraded", name, None, opts)
        if not args.critical:
            raise ValueError("the payments-degraded alarm needs at least one critical alarm")
        physical = ctx.name("payments-degraded", "cloudwatch")
        topic = args.destination.topic_arn
        self.alarm = aws.cloudwatch.CompositeAlarm(
            f"{name}-alarm",
            alarm_name=physical,
            alarm_description="Payments are degraded: a critical alarm (errors, settlement, queue, database, API, "
            "edge) is in ALARM. The alarm's reason names it; observability/README.md has the runbook.",
            alarm_rule=pulumi.Output.all(*(alarm.name for alarm in args.critical)).apply(alarm_rule),
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        self.name = self.alarm.alarm_name
        self.register_outputs({"name": self.name})

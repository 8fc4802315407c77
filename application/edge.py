"""The public edge: the ALB and its listeners.

- `Alb`: internet-facing, in the public subnets with the ALB security group; access logs into the
  data layer's bucket (no prefix: its policy allows `AWSLogs/<account>/*`); invalid header fields
  dropped, strictest desync mitigation; no deletion protection (clean teardown, docs/design.md);
  with `application:domain`, an alias record of the domain for the ALB in the domain's zone.
- `Listeners`: port 80 only redirects to 443 (HTTP_301); 443 (TLS 1.2+ policy) forwards by
  default to both web colours with weights from config, and `/api/*` to the Lambda target.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from application.settings import COLORS, Color, DomainSettings
from shared.context import LayerContext

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2 only
API_PATHS: tuple[str, ...] = ("/api/*",)
API_RULE_PRIORITY = 100
IDLE_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class AlbArgs:
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    log_bucket: pulumi.Input[str]
    domain: DomainSettings  # with a name: an alias record for the ALB in its hosted zone


class Alb(pulumi.ComponentResource):
    load_balancer: aws.lb.LoadBalancer

    def __init__(self, name: str, args: AlbArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:Alb", name, None, opts)
        physical = ctx.name("alb", "elb")
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-lb",
            name=physical,
            load_balancer_type="application",
            internal=False,
            subnets=args.subnet_ids,
            security_groups=[args.security_group_id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=False,
            idle_timeout=IDLE_TIMEOUT_SECONDS,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=args.log_bucket, enabled=True),
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        if args.domain.name and args.domain.hosted_zone_id:
            # albUrl names the domain: it resolves to the ALB (an alias: no TTL, follows the ALB's addresses).
            aws.route53.Record(
                f"{name}-alias",
                zone_id=args.domain.hosted_zone_id,
                name=args.domain.name,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.load_balancer.dns_name,
                        zone_id=self.load_balancer.zone_id,
                        evaluate_target_health=True,
                    )
                ],
                opts=ctx.child(self),
            )
        self.register_outputs({"arn": self.load_balancer.arn, "dnsName": self.load_balancer.dns_name})


@dataclass(frozen=True)
class ListenersArgs:
    load_balancer_arn: pulumi.Input[str]
    certificate_arn: pulumi.Input[str]
    web_target_groups: Mapping[Color, aws.lb.TargetGroup]
    weights: Mapping[Color, int]
    api_target_group_arn: pulumi.Input[str]


class Listeners(pulumi.ComponentResource):
    http: aws.lb.Listener
    https: aws.lb.Listener

    def __init__(self, name: str, args: ListenersArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:Listeners", name, None, opts)
        self.http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=args.load_balancer_arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        port="443", protocol="HTTPS", status_code="HTTP_301"
                    ),
                )
            ],
            tags=ctx.tags(),
            opts=ctx.tagged_child(self),
        )
        # Both colours are always in the action (the idle one at weight 0 or the canary share), so
        # the ALB health-checks the idle colour before any traffic reaches it.
        self.https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=args.load_balancer_arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=args.certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward",
                    forward=aws.lb.ListenerDefaultActionForwardArgs(
                        target_groups=[
                            aws.lb.ListenerDefaultActionForwardTargetGroupArgs(
                                arn=args.web_target_groups[color].arn, weight=args.weights[color]
                            )
                            for color in COLORS
                        ],
                        # Explicit: duration 0 is refused, and an absent block shows as a diff on refresh.
                        stickiness=aws.lb.ListenerDefaultActionForwardStickinessArgs(enabled=False, duration=1),
                    ),
                )
            ],
            tags=ctx.tags(),
            opts=ctx.tagged_child(self),
        )
        aws.lb.ListenerRule(
            f"{name}-api",
            listener_arn=self.https.arn,
            priority=API_RULE_PRIORITY,
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=args.api_target_group_arn)],
            conditions=[
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(API_PATHS))
                )
            ],
            tags=ctx.tags(),
            opts=ctx.tagged_child(self),
        )
        self.register_outputs({"httpsListenerArn": self.https.arn, "httpListenerArn": self.http.arn})

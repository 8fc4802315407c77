"""Optional regional WAF (`application:waf`): AWS managed rule groups and a rate limit per client IP.

Associated with the ALB here. The API Gateway stage is associated where the stage is declared,
with the ARN this layer exports as `wafWebAclArn` (a stage must exist before its association).
Logs go to an `aws-waf-logs-*` group (the prefix WAF requires) with retention and the data key.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext

# (rule name, managed group): the OWASP-style common set, Log4j and other known bad inputs, SQL injection.
MANAGED_RULE_GROUPS: tuple[tuple[str, str], ...] = (
    ("common", "AWSManagedRulesCommonRuleSet"),
    ("known-bad-inputs", "AWSManagedRulesKnownBadInputsRuleSet"),
    ("sql-injection", "AWSManagedRulesSQLiRuleSet"),
)
RATE_RULE = "rate-limit-per-ip"


@dataclass(frozen=True)
class WafArgs:
    load_balancer_arn: pulumi.Input[str]
    api_stage_arn: pulumi.Input[str]  # the API Gateway door gets the same rules
    rate_limit: int
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
    return aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _rule_visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class Waf(pulumi.ComponentResource):
    web_acl: aws.wafv2.WebAcl

    def __init__(self, name: str, args: WafArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:Waf", name, None, opts)
        physical = ctx.name("waf")
        managed = [
            aws.wafv2.WebAclRuleArgs(
                name=rule,
                priority=index,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()
                ),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS"
                    )
                ),
                visibility_config=_rule_visibility(f"{physical}-{rule}"),
            )
            for index, (rule, group) in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        rate = aws.wafv2.WebAclRuleArgs(
            name=RATE_RULE,
            priority=len(managed) + 1,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=args.rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                )
            ),
            visibility_config=_rule_visibility(f"{physical}-{RATE_RULE}"),
        )
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=physical,
            description="Payments edge: AWS managed rules and a rate limit per client IP",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=[*managed, rate],
            visibility_config=_visibility(physical),
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{physical}",  # WAF only logs to groups named aws-waf-logs-*
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=ctx.tags(),
            opts=ctx.tagged_child(self),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            # Keys and tokens never reach the logs.
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in ("x-api-key", "authorization", "idempotency-key")
            ],
            opts=ctx.child(self),
        )
        for door, resource_arn in (("alb", args.load_balancer_arn), ("api-stage", args.api_stage_arn)):
            aws.wafv2.WebAclAssociation(
                f"{name}-{door}", resource_arn=resource_arn, web_acl_arn=self.web_acl.arn, opts=ctx.child(self)
            )
        self.arn = self.web_acl.arn
        self.register_outputs({"webAclArn": self.web_acl.arn})

"""The trail reviewed automatically: the CIS AWS Foundations Benchmark metric filters on the trail's log
group, each with an alarm on the alarm topic (Security Hub CloudWatch.1 to CloudWatch.14, and CIS's
AWS Organizations item; PCI DSS 10.4.1.1: automated mechanisms review the audit logs).

Every filter counts matching events into a metric of this environment's own namespace; its alarm fires
on the first event in an evaluation period. Changes the platform's own deploys make (security groups,
routes, IAM policies) fire them too, on purpose: every such change is one somebody reviews.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability.alarm import AlarmDestination, Condition, metric_alarm
from observability.metrics import Metric
from shared.context import LayerContext


def _events(names: str, source: str | None = None) -> str:
    """A filter pattern matching any of the space-separated event names (of one event source, when given)."""
    names_match = " || ".join(f"($.eventName = {name})" for name in names.split())
    return f"{{ ($.eventSource = {source}) && ({names_match}) }}" if source else f"{{ {names_match} }}"


@dataclass(frozen=True)
class TrailCheck:
    key: str  # alarmNames key and the metric's name
    alarm_type: str  # physical alarm name before -<env>-<suffix>
    what: str  # the alarm's description
    pattern: str  # CloudWatch Logs filter pattern over the trail's JSON events


CIS_CHECKS: tuple[TrailCheck, ...] = (
    TrailCheck(
        "trailRootUse",
        "trail-root-use",
        "the root user was used (CIS 1.7, CloudWatch.1)",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    TrailCheck(
        "trailUnauthorizedApiCalls",
        "trail-unauthorized-calls",
        "API calls were refused as unauthorized (CloudWatch.2)",
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    ),
    TrailCheck(
        "trailConsoleSignInWithoutMfa",
        "trail-console-no-mfa",
        "a console sign-in succeeded without MFA (CloudWatch.3)",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    TrailCheck(
        "trailIamPolicyChanges",
        "trail-iam-policy-changes",
        "an IAM policy was created, changed, attached or detached (CloudWatch.4)",
        _events(
            "DeleteGroupPolicy DeleteRolePolicy DeleteUserPolicy PutGroupPolicy PutRolePolicy PutUserPolicy "
            "CreatePolicy DeletePolicy CreatePolicyVersion DeletePolicyVersion AttachRolePolicy "
            "DetachRolePolicy AttachUserPolicy DetachUserPolicy AttachGroupPolicy DetachGroupPolicy",
        ),
    ),
    TrailCheck(
        "trailCloudTrailChanges",
        "trail-cloudtrail-changes",
        "a trail was created, changed, deleted, started or stopped (CloudWatch.5)",
        _events("CreateTrail UpdateTrail DeleteTrail StartLogging StopLogging"),
    ),
    TrailCheck(
        "trailConsoleAuthFailures",
        "trail-console-auth-failures",
        "console sign-ins failed authentication (CloudWatch.6)",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    TrailCheck(
        "trailKmsKeyDisabledOrDeleted",
        "trail-kms-key-disabled",
        "a customer-managed KMS key was disabled or scheduled for deletion (CloudWatch.7)",
        _events("DisableKey ScheduleKeyDeletion", source="kms.amazonaws.com"),
    ),
    TrailCheck(
        "trailS3BucketPolicyChanges",
        "trail-s3-policy-changes",
        "an S3 bucket policy, ACL, CORS, lifecycle or replication setting changed (CloudWatch.8)",
        _events(
            "PutBucketAcl PutBucketPolicy PutBucketCors PutBucketLifecycle PutBucketReplication "
            "DeleteBucketPolicy DeleteBucketCors DeleteBucketLifecycle DeleteBucketReplication",
            source="s3.amazonaws.com",
        ),
    ),
    TrailCheck(
        "trailConfigChanges",
        "trail-config-changes",
        "AWS Config recording or delivery changed (CloudWatch.9)",
        _events(
            "StopConfigurationRecorder DeleteDeliveryChannel PutDeliveryChannel PutConfigurationRecorder",
            source="config.amazonaws.com",
        ),
    ),
    TrailCheck(
        "trailSecurityGroupChanges",
        "trail-security-group-changes",
        "a security group or one of its rules changed (CloudWatch.10)",
        _events(
            "AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress "
            "RevokeSecurityGroupEgress CreateSecurityGroup DeleteSecurityGroup",
        ),
    ),
    TrailCheck(
        "trailNaclChanges",
        "trail-nacl-changes",
        "a network ACL or one of its entries changed (CloudWatch.11)",
        _events(
            "CreateNetworkAcl CreateNetworkAclEntry DeleteNetworkAcl DeleteNetworkAclEntry "
            "ReplaceNetworkAclEntry ReplaceNetworkAclAssociation",
        ),
    ),
    TrailCheck(
        "trailNetworkGatewayChanges",
        "trail-gateway-changes",
        "an internet or customer gateway changed (CloudWatch.12)",
        _events(
            "CreateCustomerGateway DeleteCustomerGateway AttachInternetGateway CreateInternetGateway "
            "DeleteInternetGateway DetachInternetGateway",
        ),
    ),
    TrailCheck(
        "trailRouteTableChanges",
        "trail-route-table-changes",
        "a route table or route changed (CloudWatch.13)",
        _events(
            "CreateRoute CreateRouteTable ReplaceRoute ReplaceRouteTableAssociation DeleteRouteTable "
            "DeleteRoute DisassociateRouteTable",
        ),
    ),
    TrailCheck(
        "trailVpcChanges",
        "trail-vpc-changes",
        "a VPC, its attributes or a peering connection changed (CloudWatch.14)",
        _events(
            "CreateVpc DeleteVpc ModifyVpcAttribute AcceptVpcPeeringConnection CreateVpcPeeringConnection "
            "DeleteVpcPeeringConnection RejectVpcPeeringConnection AttachClassicLinkVpc DetachClassicLinkVpc "
            "DisableVpcClassicLink EnableVpcClassicLink",
        ),
    ),
    TrailCheck(
        "trailOrganizationsChanges",
        "trail-organizations-changes",
        "the AWS Organization, its accounts, units or policies changed (CIS 4.15)",
        _events(
            "AcceptHandshake AttachPolicy CreateAccount CreateOrganizationalUnit CreatePolicy "
            "DeclineHandshake DeleteOrganization DeleteOrganizationalUnit DeletePolicy DetachPolicy "
            "DisablePolicyType EnablePolicyType InviteAccountToOrganization LeaveOrganization MoveAccount "
            "RemoveAccountFromOrganization UpdatePolicy UpdateOrganizationalUnit",
            source="organizations.amazonaws.com",
        ),
    ),
)


@dataclass(frozen=True)
class TrailAlarmsArgs:
    log_group_name: pulumi.Input[str]  # the trail's log group (AuditTrail.log_group)
    destination: AlarmDestination


class TrailAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]  # none: security events page through the topic, not the composite

    def __init__(self, name: str, args: TrailAlarmsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:TrailAlarms", name, None, opts)
        namespace = f"AuditTrail/{ctx.platform.environment}-{ctx.platform.environment_suffix}"
        self.alarms, self.critical = {}, []
        for check in CIS_CHECKS:
            metric_filter = aws.cloudwatch.LogMetricFilter(
                f"{name}-{check.alarm_type}",
                name=ctx.name(check.alarm_type, "logs"),
                log_group_name=args.log_group_name,
                pattern=check.pattern,
                metric_transformation={"name": check.key, "namespace": namespace, "value": "1"},
                opts=ctx.child(self),
            )
            self.alarms[check.key] = metric_alarm(
                f"{name}-{check.alarm_type}-alarm",
                alarm_type=check.alarm_type,
                description=f"CloudTrail: {check.what}",
                metric=Metric(namespace, metric_filter.metric_transformation.name),
                stat="Sum",
                condition=Condition(1, "GreaterThanOrEqualToThreshold", "notBreaching"),
                destination=args.destination,
                ctx=ctx,
                parent=self,
            )
        self.register_outputs({"alarmNames": {key: alarm.name for key, alarm in self.alarms.items()}})

"""Declared variations: what each stack-config key is allowed to change between environments.

Two environments' plans must be identical except where a key whose value differs between their
stack files declares the difference here. `tooling/checks/compare.py` compares plans and deployed
stacks against this; an undeclared difference fails `make test` (tests/tooling/test_parity.py),
`make parity` and `make compare`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Variation:
    """`properties`: `type.property` inputs whose value may differ; `counts`: resources that may
    exist in one environment only (matched against the type and the URN, so a component's type
    covers its children); `protect`: whether the `protect` option may differ. Patterns may use
    shell wildcards."""

    properties: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    protect: bool = False


# Identity keys never need declaring: the comparison replaces their values with placeholders.
IDENTITY_KEYS: tuple[str, ...] = ("platform:environment", "platform:environmentSuffix", "platform:region")

LOG_GROUP_RETENTION = "aws:cloudwatch/logGroup:LogGroup.retentionInDays"
BUCKET_LIFECYCLE_RULES = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration.rules"

BUCKET = "aws:s3/bucket:Bucket"
SUBNET = "aws:ec2/subnet:Subnet"
CERTIFICATE = "aws:acm/certificate:Certificate"
AUTOSCALING_GROUP = "aws:autoscaling/group:Group"
LISTENER_ACTIONS = "aws:lb/listener:Listener.defaultActions"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
FUNCTION = "aws:lambda/function:Function"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
API_METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings.settings"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TABLE_ITEM = "aws:dynamodb/tableItem:TableItem"
# A merchant is its API key, the key's place in the usage plan and its entry in the merchants table; the
# ALB door's digest shards are rewritten (their content, a secret, follows the merchants).
MERCHANT_VARIATION = Variation(
    properties=(f"{TABLE_ITEM}.item",),
    counts=("aws:apigateway/apiKey:ApiKey", "aws:apigateway/usagePlanKey:UsagePlanKey", TABLE_ITEM),
)
SAMPLING_RULE = "aws:xray/samplingRule:SamplingRule"

VARIATIONS: Mapping[str, Variation] = MappingProxyType(
    {
        # --- platform ---
        "platform:costCenter": Variation(properties=("*.tags",)),
        "platform:migrationDate": Variation(properties=("*.tags",)),
        "platform:logRetentionDays": Variation(properties=(LOG_GROUP_RETENTION, BUCKET_LIFECYCLE_RULES)),
        "platform:allowedAccountIds": Variation(properties=("pulumi:providers:aws.allowedAccountIds",)),
        "platform:deployRoleArn": Variation(properties=("pulumi:providers:aws.assumeRoles",)),
        # The one cross-environment read: the lower environment's promotion record (shared/promotion.py).
        "platform:promotedFrom": Variation(counts=("*pulumi:pulumi:StackReference::promotion-record-*",)),
        # --- accounts (bootstrap, not a layer) ---
        # One GitHub OIDC provider per AWS account: where environments share one, only one creates it.
        "accounts:github": Variation(counts=("aws:iam/openIdConnectProvider:OpenIdConnectProvider",)),
        # --- networking ---
        "networking:vpcCidr": Variation(
            properties=(
                "aws:ec2/vpc:Vpc.cidrBlock",
                f"{SUBNET}.cidrBlock",
                f"{ROUTE}.destinationCidrBlock",
                f"{NETWORK_ACL}.ingress",
                f"{NETWORK_ACL}.egress",
            )
        ),
        "networking:availabilityZones": Variation(
            properties=(
                "aws:ec2/vpcEndpoint:VpcEndpoint.routeTableIds",
                "aws:ec2/vpcEndpoint:VpcEndpoint.subnetIds",
                "aws:rds/subnetGroup:SubnetGroup.subnetIds",
                "aws:rds/proxy:Proxy.vpcSubnetIds",
                f"{NETWORK_ACL}.subnetIds",
                "aws:lb/loadBalancer:LoadBalancer.subnets",
                f"{AUTOSCALING_GROUP}.vpcZoneIdentifiers",
                f"{FUNCTION}.vpcConfig",
            ),
            counts=(
                SUBNET,
                ROUTE_TABLE,
                ROUTE,
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                "aws:ec2/natGateway:NatGateway",
                "aws:ec2/eip:Eip",
            ),
        ),
        "networking:natStrategy": Variation(
            counts=(
                "aws:ec2/natGateway:NatGateway",
                "aws:ec2/eip:Eip",
                ROUTE,
                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            )
        ),
        "networking:peering": Variation(
            counts=(
                "pulumi:pulumi:StackReference",
                "payments:networking:VpcPeering",
                "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
                "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
                ROUTE,
            )
        ),
        # --- data ---
        "data:instanceClass": Variation(properties=("aws:rds/instance:Instance.instanceClass",)),
        "data:multiAz": Variation(
            properties=("aws:rds/instance:Instance.multiAz",), counts=("aws:rds/clusterInstance:ClusterInstance",)
        ),
        "data:backupRetentionDays": Variation(
            properties=(
                "aws:rds/instance:Instance.backupRetentionPeriod",
                "aws:rds/cluster:Cluster.backupRetentionPeriod",
                "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication.retentionPeriod",
            )
        ),
        "data:retainAutomatedBackups": Variation(
            properties=(
                "aws:rds/instance:Instance.deleteAutomatedBackups",
                "aws:rds/cluster:Cluster.deleteAutomatedBackups",
            )
        ),
        "data:monitoringIntervalSeconds": Variation(
            properties=(
                "aws:rds/instance:Instance.monitoringInterval",
                "aws:rds/clusterInstance:ClusterInstance.monitoringInterval",
            )
        ),
        "data:aurora": Variation(properties=("aws:rds/cluster:Cluster.serverlessv2ScalingConfiguration",)),
        "data:pointInTimeRecovery": Variation(properties=("aws:dynamodb/table:Table.pointInTimeRecovery",)),
        "data:auditTransitionDays": Variation(properties=(BUCKET_LIFECYCLE_RULES,)),
        "data:auditExpirationDays": Variation(properties=(BUCKET_LIFECYCLE_RULES,)),
        # Pulumi protect, AWS deletion protection, and buckets that destroy would not empty.
        "data:protectDataStores": Variation(
            protect=True,
            properties=(
                "aws:secretsmanager/secret:Secret.recoveryWindowInDays",
                f"{BUCKET}.forceDestroy",
                "aws:rds/instance:Instance.deletionProtection",
                "aws:rds/cluster:Cluster.deletionProtection",
                "aws:dynamodb/table:Table.deletionProtectionEnabled",
            ),
        ),
        "data:albLogExpirationDays": Variation(properties=(BUCKET_LIFECYCLE_RULES,)),
        # RDSOSMetrics, and the data key's permission for CloudWatch Logs to encrypt it.
        "data:ownsEnhancedMonitoringLogGroup": Variation(
            properties=("aws:kms/key:Key.policy",), counts=("*::database-monitoring-logs",)
        ),
        "data:dr": Variation(counts=("*payments:data:DisasterRecovery*",)),
        # --- application ---
        "application:memoryMb": Variation(properties=(f"{FUNCTION}.memorySize",)),
        "application:apiReservedConcurrency": Variation(properties=(f"{FUNCTION}.reservedConcurrentExecutions",)),
        "application:workerReservedConcurrency": Variation(properties=(f"{FUNCTION}.reservedConcurrentExecutions",)),
        "application:queueMaximumConcurrency": Variation(
            properties=("aws:lambda/eventSourceMapping:EventSourceMapping.scalingConfig",)
        ),
        "application:maxReceiveCount": Variation(properties=("aws:sqs/queue:Queue.redrivePolicy",)),
        "application:notificationEmails": Variation(properties=(f"{SUBSCRIPTION}.endpoint",), counts=(SUBSCRIPTION,)),
        "application:apiThrottle": Variation(properties=(API_METHOD_SETTINGS, f"{USAGE_PLAN}.throttleSettings")),
        "application:apiQuota": Variation(properties=(f"{USAGE_PLAN}.quotaSettings",)),
        "application:apiLoggingLevel": Variation(properties=(API_METHOD_SETTINGS,)),
        # Declared once in application/Pulumi.yaml; a stack file that replaces the list, and the merchants of
        # one environment only, add or remove merchants there.
        "application:merchants": MERCHANT_VARIATION,
        "application:environmentMerchants": MERCHANT_VARIATION,
        # --- observability ---
        "observability:alarmEmails": Variation(properties=(f"{SUBSCRIPTION}.endpoint",), counts=(SUBSCRIPTION,)),
        # the threshold, and the description that states it (what the notification says)
        "observability:alarmThresholds": Variation(
            properties=(f"{METRIC_ALARM}.threshold", f"{METRIC_ALARM}.alarmDescription")
        ),
        "observability:trailRetentionDays": Variation(properties=(LOG_GROUP_RETENTION, BUCKET_LIFECYCLE_RULES)),
        "observability:protectAuditTrail": Variation(protect=True, properties=(f"{BUCKET}.forceDestroy",)),
        "observability:tracing": Variation(
            properties=(
                f"{SAMPLING_RULE}.fixedRate",
                f"{SAMPLING_RULE}.reservoirSize",
            )
        ),
        # A domain gets an ACM certificate validated through Route 53; without one the certificate
        # is generated (pulumi-tls) for the ALB's own name and imported into ACM.
        "application:domain": Variation(
            properties=(
                f"{CERTIFICATE}.*",
                "aws:route53/record:Record.*",
                "aws:acm/certificateValidation:CertificateValidation.*",
            ),
            counts=(
                "aws:route53/record:Record",
                "aws:acm/certificateValidation:CertificateValidation",
                "tls:index/*",
                "pulumi:providers:tls",
            ),
        ),
        "application:waf": Variation(counts=("*payments:application:Waf*",)),
        # The image's id is regional: environments in different regions always differ in it; the
        # release it is (the ImageName tag) differs only where the stack files name another one.
        "application:webImage": Variation(
            properties=(
                f"{LAUNCH_TEMPLATE}.imageId",
                f"{LAUNCH_TEMPLATE}.tags",
                f"{LAUNCH_TEMPLATE}.tagSpecifications",
            )
        ),
        "application:webTier": Variation(
            properties=(
                f"{LAUNCH_TEMPLATE}.instanceType",
                *(f"{AUTOSCALING_GROUP}.{p}" for p in ("minSize", "maxSize", "desiredCapacity", "waitForElbCapacity")),
            )
        ),
        # make release / make rollback: only the listener's weights follow these two.
        "application:activeColor": Variation(properties=(LISTENER_ACTIONS,)),
        "application:canaryPercent": Variation(properties=(LISTENER_ACTIONS,)),
    }
)

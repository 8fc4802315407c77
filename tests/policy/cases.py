"""One violating and one compliant example per policy, as plan records (the shape `make plan` writes).

Each case runs a single policy over its resources as one stack, so a resource policy sees each
record's inputs and a stack policy sees them all; `message` must appear in the violation reported.
"""

import json
from dataclasses import dataclass
from typing import Any

from policy.tagging import DEPLOYED_AT_PATH
from shared.tagging import REQUIRED_TAGS

Record = dict[str, Any]
TAGS = dict.fromkeys(REQUIRED_TAGS, "x")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0000"
ROOT = "arn:aws:iam::123456789012:root"


def res(resource_type: str, logical: str = "r", /, *, rid: str = "id-1", retain: bool = False, **props: Any) -> Record:
    urn = f"urn:pulumi:dev::data::{resource_type}::{logical}"
    return {
        "urn": urn,
        "id": rid,
        "type": resource_type,
        "custom": True,
        "parent": None,
        "provider": None,
        "dependencies": [],
        "inputs": props,
        "outputs": props,
        "protect": False,
        "ignoreChanges": [DEPLOYED_AT_PATH],
        "retainOnDelete": retain,
    }


@dataclass(frozen=True)
class Case:
    policy: str
    bad: list[Record]
    good: list[Record]
    message: str

    def __str__(self) -> str:  # pytest ids
        return f"{self.policy}: {self.message}"


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


S3 = "aws:s3/bucket"
BUCKET = f"{S3}:Bucket"
SSE = f"{S3}ServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = f"{S3}PublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = f"{S3}Policy:BucketPolicy"
LIFECYCLE = f"{S3}LifecycleConfiguration:BucketLifecycleConfiguration"
VERSIONING = f"{S3}Versioning:BucketVersioning"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
TABLE = "aws:dynamodb/table:Table"
VPC = "aws:ec2/vpc:Vpc"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
STAGE = "aws:apigateway/stage:Stage"
METHOD = "aws:apigateway/method:Method"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:payments"
REDRIVE = {"deadLetterTargetArn": f"{QUEUE_ARN}-dlq", "maxReceiveCount": 3}

PUBLIC_ACCESS: dict[str, Any] = dict.fromkeys(
    ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
)
DENY_HTTP = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
AUDIT = "audit-dev-d01"
VPC_CONFIG = {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}


def _sse(algorithm: str, key: str | None) -> list[dict[str, Any]]:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return [{"applyServerSideEncryptionByDefault": default}]


def _bucket_with(companion: str, **props: Any) -> list[Record]:
    return [res(BUCKET, bucket=AUDIT), res(companion, bucket=AUDIT, **props)]


def _open_ingress(group: str, port: int) -> list[Record]:
    return [
        res(SECURITY_GROUP, "group", rid="sg-1", name=group),
        res(
            INGRESS, "open", securityGroupId="sg-1", ipProtocol="tcp", fromPort=port, toPort=port, cidrIpv4="0.0.0.0/0"
        ),
    ]


ACCESS_LOGS = {
    "destinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:api-access-logs-dev-d01",
    "format": "{}",
}


def _method_settings(**settings: Any) -> Record:
    compliant = {
        "loggingLevel": "INFO",
        "dataTraceEnabled": False,
        "metricsEnabled": True,
        "throttlingRateLimit": 10.0,
        "throttlingBurstLimit": 20.0,
    }
    return res(METHOD_SETTINGS, "settings", stageName="v1", methodPath="*/*", settings=compliant | settings)


def _method(**props: Any) -> Record:
    compliant: dict[str, Any] = {
        "httpMethod": "POST",
        "authorization": "NONE",
        "apiKeyRequired": True,
        "requestValidatorId": "validator-1",
        "requestModels": {"application/json": "PaymentRequest", "$default": "PaymentRequest"},
    }
    return res(METHOD, **{k: v for k, v in (compliant | props).items() if v is not None})


ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb-dev-d01/1"
ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/waf-dev-d01/1"
REDIRECT = {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}
EBS = {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}}
IMDSV2 = {"httpTokens": "required", "httpPutResponseHopLimit": 1}


def _alb(**overrides: Any) -> Record:
    compliant: dict[str, Any] = {
        "loadBalancerType": "application",
        "internal": False,
        "dropInvalidHeaderFields": True,
        "accessLogs": {"bucket": "alb-logs-dev-d01", "enabled": True},
        "tags": {"Environment": "dev"},
    }
    record = res(ALB, "alb", **(compliant | overrides))
    return {**record, "outputs": {**record["inputs"], "arn": ALB_ARN}}


def _template(**overrides: Any) -> Record:
    return res(LAUNCH_TEMPLATE, **({"metadataOptions": IMDSV2, "blockDeviceMappings": [EBS]} | overrides))


def _waf(*, associated: bool = True, logging: bool = True) -> list[Record]:
    acl = {**res(WEB_ACL, "acl", name="waf-dev-d01"), "outputs": {"name": "waf-dev-d01", "arn": ACL_ARN}}
    return [
        acl,
        *([res(WAF_ASSOCIATION, "assoc", resourceArn=ALB_ARN, webAclArn=ACL_ARN)] if associated else []),
        *([res(WAF_LOGGING, "logging", resourceArn=ACL_ARN)] if logging else []),
    ]


def _protected(record: Record) -> Record:
    return {**record, "protect": True}


RDS_PROTECTION = "teardown-rds-deletion-protection-follows-protect (RDS.8)"
TABLE_PROTECTION = "teardown-dynamodb-deletion-protection-follows-protect (DynamoDB.6)"
BUCKET_EMPTIED = "teardown-s3-bucket-force-destroy-unless-protected"


def _rds(**overrides: Any) -> Record:
    compliant: dict[str, Any] = {
        "engine": "postgres",
        "storageEncrypted": True,
        "kmsKeyId": KEY_ARN,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": KEY_ARN,
        "iamDatabaseAuthenticationEnabled": True,
        "backupRetentionPeriod": 3,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "parameterGroupName": "postgres14-dev-d01",
        "deletionProtection": False,
        "skipFinalSnapshot": True,
        "monitoringInterval": 60,
        "monitoringRoleArn": "arn:aws:iam::123456789012:role/rds-monitoring-dev-d01",
    }
    return res(INSTANCE, **(compliant | overrides))


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
SNS_TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alarms-dev-d01"
MONITORING_ROLE = "arn:aws:iam::123456789012:role/rds-monitoring-dev-d01"
MANAGED_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf"
GENERATED_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ledger-writer-dev-d01-AbCdEf"
_MANAGEMENT_EVENTS = {"name": "m", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}
_DATA_EVENTS = {"name": "d", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}


def _publish(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sns:Publish", "Resource": TOPIC_ARN}
    return policy_document({**statement, **({"Condition": condition} if condition else {})})


def _trail(**overrides: Any) -> Record:
    props = {
        "enableLogFileValidation": True,
        "kmsKeyId": KEY_ARN,
        "isMultiRegionTrail": True,
        "includeGlobalServiceEvents": True,
        "advancedEventSelectors": [_MANAGEMENT_EVENTS, _DATA_EVENTS],
    }
    return res(TRAIL, **{k: v for k, v in {**props, **overrides}.items() if v is not None})


def _retention(current: int, noncurrent: int) -> dict[str, Any]:
    return {
        "id": "retention",
        "status": "Enabled",
        "expiration": {"days": float(current)},
        "noncurrentVersionExpiration": {"noncurrentDays": float(noncurrent)},
    }


NACL = "aws:ec2/networkAcl:NetworkAcl"
BUCKET_LOGGING = f"{S3}Logging:BucketLogging"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCESS_LOG_BUCKET = "access-logs-dev-d01"
LOG_DELIVERY_WRITES = {
    "Effect": "Allow",
    "Principal": {"Service": "logging.s3.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": f"arn:aws:s3:::{ACCESS_LOG_BUCKET}/*",
}
TRAIL_GROUP = "/aws/cloudtrail/trail-dev-d01"
CIS_PATTERN = (
    '{ $.userIdentity.type = "Root" } UnauthorizedOperation MFAUsed PutRolePolicy StopLogging "Failed authentication" '
    "ScheduleKeyDeletion PutBucketPolicy StopConfigurationRecorder AuthorizeSecurityGroupIngress CreateNetworkAclEntry "
    "AttachInternetGateway CreateRoute CreateVpc"
)


def _acl_rule(number: int, action: str, low: int, high: int) -> dict[str, Any]:
    return {
        "ruleNo": number,
        "action": action,
        "protocol": "6",
        "cidrBlock": "0.0.0.0/0",
        "fromPort": low,
        "toPort": high,
    }


def _reviewed_trail() -> list[Record]:
    group_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{TRAIL_GROUP}:*"
    return [
        res(TRAIL, name="trail-dev-d01", cloudWatchLogsGroupArn=group_arn),
        res(
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "cis",
            logGroupName=TRAIL_GROUP,
            pattern=CIS_PATTERN,
            metricTransformation={"name": "trailCis", "namespace": "AuditTrail/dev-d01", "value": "1"},
        ),
        res(ALARM, "alarm", metricName="trailCis", namespace="AuditTrail/dev-d01"),
    ]


CASES: tuple[Case, ...] = (
    # --- storage ---
    Case(
        "s3-bucket-server-side-encryption-enabled (S3.4)",
        [res(SSE, rules=_sse("aws:kms", None))],
        [res(SSE, rules=_sse("aws:kms", KEY_ARN)), res(SSE, rules=_sse("AES256", None))],
        "set kmsMasterKeyId to the platform CMK",
    ),
    Case(
        "s3-bucket-level-public-access-prohibited (S3.8)",
        [res(PAB, **(PUBLIC_ACCESS | {"blockPublicPolicy": False}))],
        [res(PAB, **PUBLIC_ACCESS)],
        "set blockPublicPolicy to true",
    ),
    Case(
        "s3-bucket-ssl-requests-only (S3.5)",
        [res(BUCKET_POLICY, policy=policy_document({**DENY_HTTP, "Principal": {"AWS": ROOT}}))],
        [res(BUCKET_POLICY, policy=policy_document(DENY_HTTP))],
        "does not deny plain HTTP",
    ),
    Case(
        "s3-bucket-lifecycle-configured (S3.13)",
        [res(LIFECYCLE, rules=[{"status": "Disabled", "expiration": {"days": 90}}])],
        [res(LIFECYCLE, rules=[{"status": "Enabled", "expiration": {"days": 90}}])],
        "no enabled lifecycle rule",
    ),
    Case(
        "s3-bucket-versioning-enabled (S3.14)",
        [res(VERSIONING, versioningConfiguration={"status": "Suspended"})],
        [res(VERSIONING, versioningConfiguration={"status": "Enabled"})],
        "versioning is 'Suspended'",
    ),
    Case("s3-bucket-has-encryption (S3.4)", [res(BUCKET, bucket=AUDIT)], _bucket_with(SSE), "has no BucketServerSide"),
    Case(
        "s3-bucket-has-public-access-block (S3.8)",
        [res(BUCKET, bucket=AUDIT)],
        _bucket_with(PAB),
        "has no BucketPublicAccessBlock",
    ),
    Case(
        "s3-bucket-has-tls-only-policy (S3.5)",
        [res(BUCKET, bucket=AUDIT)],
        _bucket_with(BUCKET_POLICY),
        "has no BucketPolicy",
    ),
    Case("s3-bucket-has-lifecycle (S3.13)", [res(BUCKET, bucket=AUDIT)], _bucket_with(LIFECYCLE), "no BucketLifecycle"),
    Case(
        "s3-audit-bucket-versioned (S3.14)",
        [res(BUCKET, bucket=AUDIT), res(LIFECYCLE, bucket=AUDIT)],
        [*_bucket_with(VERSIONING), res(BUCKET, "alb-logs", bucket="alb-logs-dev-d01")],
        "has no BucketVersioning",
    ),
    # --- database ---
    Case("rds-storage-encrypted (RDS.3)", [_rds(kmsKeyId=None)], [_rds()], "AWS-managed key: set kmsKeyId"),
    Case("rds-storage-encrypted (RDS.3)", [_rds(storageEncrypted=False)], [_rds()], "set storageEncrypted=true"),
    Case(
        "rds-instance-no-public-access (RDS.2)",
        [res(CLUSTER_INSTANCE, publiclyAccessible=True)],
        [res(CLUSTER_INSTANCE, publiclyAccessible=False)],
        "set publiclyAccessible=false",
    ),
    Case(
        "rds-iam-authentication-configured (RDS.10, RDS.12)",
        [res(CLUSTER, iamDatabaseAuthenticationEnabled=False)],
        [res(CLUSTER, iamDatabaseAuthenticationEnabled=True)],
        "set iamDatabaseAuthenticationEnabled=true",
    ),
    Case(
        "rds-performance-insights-encrypted (CKV_AWS_354)",
        [_rds(performanceInsightsKmsKeyId="")],
        [_rds()],
        "set performanceInsightsKmsKeyId",
    ),
    Case("rds-backups-enabled (RDS.11)", [_rds(backupRetentionPeriod=0)], [_rds()], "backupRetentionPeriod is 0"),
    Case(
        "rds-logs-exported (RDS.9)",
        [_rds(enabledCloudwatchLogsExports=["upgrade"])],
        [_rds()],
        "add 'postgresql' to enabledCloudwatchLogsExports",
    ),
    Case(
        "rds-postgres-force-ssl (CKV2_AWS_69)",
        [
            res(
                "aws:rds/parameterGroup:ParameterGroup",
                family="postgres14",
                parameters=[{"name": "rds.force_ssl", "value": "0"}],
            )
        ],
        [
            res(
                "aws:rds/parameterGroup:ParameterGroup",
                family="postgres14",
                parameters=[{"name": "rds.force_ssl", "value": "1"}],
            )
        ],
        "add the parameter rds.force_ssl = 1",
    ),
    Case(
        "rds-postgres-force-ssl (CKV2_AWS_69)",
        [_rds(parameterGroupName=None)],
        [_rds()],
        "set parameterGroupName to a group with rds.force_ssl = 1",
    ),
    Case(
        "rds-proxy-tls-required",
        [res("aws:rds/proxy:Proxy", requireTls=False)],
        [res("aws:rds/proxy:Proxy", requireTls=True)],
        "set requireTls=true",
    ),
    Case(
        "rds-proxy-iam-sign-in (PCI DSS 8.3.9)",
        [res("aws:rds/proxy:Proxy", auths=[{"authScheme": "SECRETS", "secretArn": MANAGED_SECRET_ARN}])],
        [res("aws:rds/proxy:Proxy", defaultAuthScheme="IAM_AUTH", auths=[{"secretArn": MANAGED_SECRET_ARN}])],
        "set defaultAuthScheme=IAM_AUTH",
    ),
    Case(
        "rds-proxy-iam-sign-in (PCI DSS 8.3.9)",
        [res("aws:rds/proxy:Proxy", defaultAuthScheme="IAM_AUTH", auths=[{"secretArn": GENERATED_SECRET_ARN}])],
        [res("aws:rds/proxy:Proxy", defaultAuthScheme="IAM_AUTH", auths=[])],
        "whose password nothing rotates",
    ),
    Case(
        "dynamodb-table-encrypted-with-cmk (CKV_AWS_119)",
        [res(TABLE, serverSideEncryption={"enabled": True})],
        [res(TABLE, serverSideEncryption={"enabled": True, "kmsKeyArn": KEY_ARN})],
        "set serverSideEncryption.kmsKeyArn",
    ),
    # --- network ---
    Case(
        "vpc-flow-logging-enabled (EC2.6)",
        [res(VPC, rid="vpc-1")],
        [res(VPC, rid="vpc-1"), res("aws:ec2/flowLog:FlowLog", vpcId="vpc-1")],
        "has no FlowLog",
    ),
    Case(
        "vpc-default-security-group-managed (EC2.2)",
        [res(VPC, rid="vpc-1"), res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", vpcId="vpc-2")],
        [res(VPC, rid="vpc-1"), res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", vpcId="vpc-1")],
        "has no DefaultSecurityGroup",
    ),
    Case(
        "vpc-default-security-group-closed (EC2.2)",
        [res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ingress=[{"protocol": "-1", "self": True}])],
        [res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ingress=[], egress=[])],
        "has ingress rules",
    ),
    Case(
        "subnet-no-auto-assign-public-ip (EC2.15)",
        [res("aws:ec2/subnet:Subnet", mapPublicIpOnLaunch=True)],
        [res("aws:ec2/subnet:Subnet", mapPublicIpOnLaunch=False)],
        "set mapPublicIpOnLaunch=false",
    ),
    Case(
        "vpc-sg-restricted-ingress (EC2.18)",
        _open_ingress("sg-web-dev-d01", 443),
        _open_ingress("sg-alb-dev-d01", 443),
        "open opens ports 443-443 of security group sg-web-dev-d01 to 0.0.0.0/0",
    ),
    Case(
        "vpc-sg-restricted-ingress (EC2.18)",
        _open_ingress("sg-alb-dev-d01", 22),
        _open_ingress("sg-alb-dev-d01", 80),
        "opens ports 22-22 of security group sg-alb-dev-d01",
    ),
    Case(
        "vpc-sg-restricted-ingress (EC2.18)",
        [res(SECURITY_GROUP, name="sg-db", ingress=[{"protocol": "-1", "cidrBlocks": [], "ipv6CidrBlocks": ["::/0"]}])],
        [res(SECURITY_GROUP, name="sg-db", ingress=[{"protocol": "tcp", "fromPort": 5432, "toPort": 5432}])],
        "opens all ports of security group sg-db to ::/0",
    ),
    # --- encryption ---
    Case(
        "kms-key-rotation-enabled (KMS.4)",
        [res(KEY, enableKeyRotation=False)],
        [res(KEY, enableKeyRotation=True), res(KEY, keySpec="RSA_2048")],
        "set enableKeyRotation=true",
    ),
    Case(
        "kms-key-policy-no-full-access (CKV_AWS_33)",
        [res(KEY, policy=policy_document({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*"}))],
        [res(KEY, policy=policy_document({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*"}))],
        "statement Open grants kms:* to *",
    ),
    Case(
        "cloudwatch-log-group-encrypted (CKV_AWS_158)",
        [res(LOG_GROUP, retentionInDays=30)],
        [res(LOG_GROUP, kmsKeyId=KEY_ARN)],
        "set kmsKeyId",
    ),
    Case(
        "cloudwatch-log-group-retention (CKV_AWS_66)",
        [res(LOG_GROUP, kmsKeyId=KEY_ARN)],
        [res(LOG_GROUP, retentionInDays=30)],
        "logs are kept forever",
    ),
    Case(
        "cloudwatch-log-group-retention (CKV_AWS_66)",
        [res(LOG_GROUP, retentionInDays=30.0, tags={"Environment": "prod"})],
        [res(LOG_GROUP, retentionInDays=365.0, tags={"Environment": "prod"})],
        "prod keeps logs 30 days: PCI DSS 10.5.1 needs at least 365",
    ),
    Case(
        "ssm-parameter-is-secure-string (CKV2_AWS_34)",
        [res("aws:ssm/parameter:Parameter", type="String", value="payments-dev")],
        [res("aws:ssm/parameter:Parameter", type="SecureString", keyId=KEY_ARN)],
        "a String parameter is readable by anyone",
    ),
    Case(
        "ssm-secure-string-encrypted-with-cmk (CKV_AWS_337)",
        [res("aws:ssm/parameter:Parameter", type="SecureString")],
        [res("aws:ssm/parameter:Parameter", type="SecureString", keyId=KEY_ARN)],
        "set keyId to the platform CMK",
    ),
    Case(
        "secretsmanager-secret-encrypted-with-cmk (CKV_AWS_149)",
        [res("aws:secretsmanager/secret:Secret")],
        [res("aws:secretsmanager/secret:Secret", kmsKeyId=KEY_ARN)],
        "set kmsKeyId",
    ),
    # --- serverless ---
    Case(
        "lambda-runtime-python311",
        [res(FUNCTION, runtime="python3.12")],
        [res(FUNCTION, runtime="python3.11")],
        "runtime is 'python3.12': set runtime to 'python3.11'",
    ),
    Case(
        "lambda-architecture-arm64",
        [res(FUNCTION, architectures="arm64"), res(FUNCTION, "x86", architectures=["x86_64"])],
        [res(FUNCTION, architectures=["arm64"])],
        'architectures is "arm64": set architectures=["arm64"] (a list)',
    ),
    Case(
        "lambda-function-xray-active (CKV_AWS_50)",
        [res(FUNCTION, tracingConfig={"mode": "PassThrough"})],
        [res(FUNCTION, tracingConfig={"mode": "Active"})],
        "X-Ray tracing is 'PassThrough'",
    ),
    Case(
        "lambda-environment-encrypted-with-cmk (CKV_AWS_173)",
        [res(FUNCTION)],
        [res(FUNCTION, kmsKeyArn=KEY_ARN)],
        "set kmsKeyArn",
    ),
    Case(
        "lambda-inside-vpc (Lambda.3)",
        [res(FUNCTION, vpcConfig={"subnetIds": ["subnet-1"]})],
        [res(FUNCTION, vpcConfig=VPC_CONFIG)],
        "set vpcConfig securityGroupIds",
    ),
    Case(
        "lambda-dead-letter-configured (CKV_AWS_116)",
        [res(FUNCTION, deadLetterConfig={})],
        [res(FUNCTION, deadLetterConfig={"targetArn": f"{QUEUE_ARN}-dlq"})],
        "set deadLetterConfig.targetArn",
    ),
    Case(
        "lambda-reserved-concurrency-set (CKV_AWS_115)",
        [res(FUNCTION), res(FUNCTION, "unreserved", reservedConcurrentExecutions=-1.0)],
        [res(FUNCTION, reservedConcurrentExecutions=1.0)],
        "reserve at least 1",
    ),
    Case(
        "sqs-sns-encrypted-with-cmk (SQS.1, SNS.1)",
        [res(QUEUE, sqsManagedSseEnabled=True), res("aws:sns/topic:Topic", "topic")],
        [res(QUEUE, kmsMasterKeyId=KEY_ARN), res("aws:sns/topic:Topic", kmsMasterKeyId=KEY_ARN)],
        "set kmsMasterKeyId",
    ),
    Case(
        "sqs-queue-has-dead-letter-queue",
        [res(QUEUE, "payments", arn=QUEUE_ARN)],
        [
            res(QUEUE, "payments", arn=QUEUE_ARN, redrivePolicy=json.dumps(REDRIVE)),
            res(QUEUE, "payments-dlq", arn=f"{QUEUE_ARN}-dlq"),
            res(QUEUE, "lambda-dlq", arn=f"{QUEUE_ARN}-lambda-dlq"),
            res(FUNCTION, deadLetterConfig={"targetArn": f"{QUEUE_ARN}-lambda-dlq"}),
        ],
        "payments has no redrivePolicy and is no queue's or function's dead-letter queue",
    ),
    # --- API Gateway ---
    Case(
        "apigateway-stage-access-logging (CKV_AWS_76)",
        [res(STAGE, stageName="v1", xrayTracingEnabled=True)],
        [res(STAGE, stageName="v1", xrayTracingEnabled=True, accessLogSettings=ACCESS_LOGS)],
        "set accessLogSettings destinationArn and format",
    ),
    Case(
        "apigateway-execution-logging (APIGateway.1)",
        [_method_settings(loggingLevel="OFF")],
        [_method_settings(loggingLevel="ERROR")],
        "execution logging level is 'OFF'",
    ),
    Case(
        "apigateway-stage-has-method-settings (APIGateway.1)",
        [res(STAGE, rid="stage-1", stageName="v1"), res(METHOD_SETTINGS, "other", stageName="v2", settings={})],
        [res(STAGE, rid="stage-1", stageName="v1"), _method_settings()],
        "has no MethodSettings",
    ),
    Case(
        "apigateway-data-trace-disabled (CKV_AWS_276)",
        [_method_settings(dataTraceEnabled=True)],
        [_method_settings()],
        "set settings.dataTraceEnabled=false",
    ),
    Case(
        "apigateway-stage-xray-enabled (APIGateway.3)",
        [res(STAGE, stageName="v1", accessLogSettings=ACCESS_LOGS)],
        [res(STAGE, stageName="v1", accessLogSettings=ACCESS_LOGS, xrayTracingEnabled=True)],
        "set xrayTracingEnabled=true",
    ),
    Case(
        "apigateway-throttling-configured",
        [_method_settings(throttlingRateLimit=-1.0)],
        [_method_settings()],
        "set settings throttlingRateLimit above 0",
    ),
    Case(
        "apigateway-throttling-configured",
        [res(USAGE_PLAN, throttleSettings={"rateLimit": 10.0})],
        [res(USAGE_PLAN, throttleSettings={"rateLimit": 10.0, "burstLimit": 20.0})],
        "set throttleSettings burstLimit above 0",
    ),
    Case(
        "apigateway-method-api-key-required (CKV2_AWS_70)",
        [_method(apiKeyRequired=False)],
        [_method()],
        "set apiKeyRequired=true",
    ),
    Case(
        "apigateway-method-request-validated (CKV2_AWS_53)",
        [_method(requestValidatorId=None)],
        [_method()],
        "no requestValidatorId",
    ),
    Case(
        "apigateway-method-request-validated (CKV2_AWS_53)",
        [_method(requestModels={"application/json": "PaymentRequest"})],
        [_method(httpMethod="GET", requestModels={}, requestParameters={"method.request.querystring.id": True})],
        "requestModels has no $default model",
    ),
    # --- observability and audit ---
    Case(
        "cloudwatch-alarm-actions (CKV_AWS_319)",
        [
            res(ALARM, alarmActions=[TOPIC_ARN]),
            res(COMPOSITE, "composite", alarmActions=[TOPIC_ARN], okActions=[TOPIC_ARN], actionsEnabled=False),
        ],
        [
            res(ALARM, alarmActions=[TOPIC_ARN], okActions=[TOPIC_ARN], actionsEnabled=True),
            res(COMPOSITE, "composite", alarmActions=[TOPIC_ARN], okActions=[TOPIC_ARN]),
        ],
        "no okActions: send ALARM and OK to the alarm topic",
    ),
    Case(
        "sns-alarm-topic-encrypted (SNS.1)",
        [res(SNS_TOPIC, arn=TOPIC_ARN), res(ALARM, okActions=[TOPIC_ARN])],
        [res(SNS_TOPIC, arn=TOPIC_ARN, kmsMasterKeyId=KEY_ARN), res(ALARM, alarmActions=[TOPIC_ARN])],
        "receives alarm notifications but is not encrypted",
    ),
    Case(
        "sns-topic-policy-confined",
        [res(TOPIC_POLICY, arn=TOPIC_ARN, policy=_publish({"Service": "cloudwatch.amazonaws.com"}))],
        [
            res(
                TOPIC_POLICY,
                arn=TOPIC_ARN,
                policy=_publish(
                    {"Service": "cloudwatch.amazonaws.com"},
                    {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                ),
            )
        ],
        "CloudWatch may publish for any account",
    ),
    Case(
        "sns-topic-policy-confined",
        [res(TOPIC_POLICY, arn=TOPIC_ARN, policy=_publish("*"))],
        [res(TOPIC_POLICY, arn=TOPIC_ARN, policy=_publish({"AWS": ROOT}))],
        "allows anyone",
    ),
    Case(
        "cloudtrail-log-file-validation (CloudTrail.4)",
        [_trail(enableLogFileValidation=False)],
        [_trail()],
        "set enableLogFileValidation=true",
    ),
    Case("cloudtrail-encrypted-with-cmk (CloudTrail.2)", [_trail(kmsKeyId=None)], [_trail()], "set kmsKeyId"),
    Case(
        "cloudtrail-multi-region-management-events (CloudTrail.1)",
        [_trail(isMultiRegionTrail=False), _trail(advancedEventSelectors=[_DATA_EVENTS])],
        [_trail(), _trail(advancedEventSelectors=None, eventSelectors=[{"includeManagementEvents": True}])],
        "set isMultiRegionTrail=true",
    ),
    Case(
        "cloudtrail-multi-region-management-events (CloudTrail.1)",
        [_trail(advancedEventSelectors=[_DATA_EVENTS])],
        [_trail()],
        "selects no management events",
    ),
    Case(
        "rds-enhanced-monitoring (RDS.6)",
        [_rds(monitoringInterval=0.0), res(CLUSTER_INSTANCE, "reader", monitoringInterval=60.0)],
        [_rds(), res(CLUSTER_INSTANCE, "reader", monitoringInterval=60.0, monitoringRoleArn=MONITORING_ROLE)],
        "enhanced monitoring is off",
    ),
    Case(
        "rds-prod-automated-backups-retained",
        [_rds(tags={**TAGS, "Environment": "prod"}, deleteAutomatedBackups=True)],
        [_rds(tags={**TAGS, "Environment": "prod"}, deleteAutomatedBackups=False), _rds(deleteAutomatedBackups=True)],
        "prod's automated backups go with the database",
    ),
    Case(
        "s3-noncurrent-versions-kept-as-long-as-current",
        [res(LIFECYCLE, rules=[_retention(365, 30)])],
        [res(LIFECYCLE, rules=[_retention(365, 365)]), res(LIFECYCLE, "other", rules=[{"status": "Enabled"}])],
        "keeps replaced versions 30 days but current ones 365",
    ),
    # --- edge ---
    Case(
        "alb-listener-no-plain-http (ELB.1)",
        [res(LISTENER, protocol="HTTP", port=80, defaultActions=[FORWARD])],
        [res(LISTENER, protocol="HTTP", port=80, defaultActions=[REDIRECT]), res(LISTENER, protocol="HTTPS")],
        "its only default action must redirect to HTTPS",
    ),
    Case(
        "alb-listener-tls12-policy (ELB.17)",
        [res(LISTENER, protocol="HTTPS", sslPolicy="ELBSecurityPolicy-2016-08")],
        [res(LISTENER, protocol="HTTPS", sslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06")],
        "allows TLS below 1.2",
    ),
    Case(
        "launch-template-imdsv2 (EC2.170, CKV_AWS_79)",
        [_template(metadataOptions={"httpTokens": "optional", "httpPutResponseHopLimit": 1})],
        [_template()],
        "set metadataOptions.httpTokens=required",
    ),
    Case(
        "launch-template-imdsv2 (EC2.170, CKV_AWS_79)",
        [_template(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2})],
        [_template()],
        "httpPutResponseHopLimit=1",
    ),
    Case(
        "launch-template-ebs-encrypted (CKV_AWS_8)",
        [_template(blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}])],
        [_template()],
        "volume /dev/xvda is not encrypted",
    ),
    Case(
        "launch-template-ebs-encrypted (CKV_AWS_8)",
        [_template(blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": True}}])],
        [_template()],
        "uses the AWS-managed key",
    ),
    Case(
        "launch-template-no-public-ip (EC2.25)",
        [_template(networkInterfaces=[{"associatePublicIpAddress": "true"}])],
        [_template(networkInterfaces=[{"associatePublicIpAddress": "false"}])],
        "instances get public IPs",
    ),
    Case("alb-access-logs-enabled (ELB.5)", [_alb(accessLogs={"enabled": False})], [_alb()], "access logs are off"),
    Case(
        "alb-drop-invalid-header-fields (ELB.4)",
        [_alb(dropInvalidHeaderFields=False)],
        [_alb()],
        "set dropInvalidHeaderFields=true",
    ),
    Case(
        "alb-waf-where-configured (WAF.2, CKV2_AWS_28)",
        [_alb(tags={"Environment": "prod"})],
        [_alb(tags={"Environment": "prod"}), *_waf(), _alb(), _alb(internal=True)],
        "faces the internet without WAF",
    ),
    Case(
        "alb-waf-where-configured (WAF.2, CKV2_AWS_28)",
        [_alb(), *_waf(associated=False)],
        [_alb()],
        "faces the internet without WAF",
    ),
    Case(
        "alb-waf-where-configured (WAF.2, CKV2_AWS_28)",
        [_alb(), *_waf(logging=False)],
        [_alb(), *_waf()],
        "does not log",
    ),
    # --- tagging ---
    Case(
        "required-tags-present",
        [res(BUCKET, tags={k: v for k, v in TAGS.items() if k != "CostCenter"})],
        [res(BUCKET, tags=TAGS), res("aws:kms/alias:Alias")],
        "missing tags CostCenter",
    ),
    Case(
        "deployed-at-tag-ignored",
        [{**res(BUCKET, tags=TAGS), "ignoreChanges": []}],
        [res(BUCKET, tags=TAGS)],
        "would diff on every `pulumi up`",
    ),
    # --- teardown ---
    Case("teardown-no-retain-on-delete", [res(KEY, retain=True)], [res(KEY)], "retain_on_delete"),
    Case(RDS_PROTECTION, [_rds(skipFinalSnapshot=False)], [_rds()], "set skipFinalSnapshot=true"),
    Case(RDS_PROTECTION, [_rds(deletionProtection=True)], [_rds()], "set deletionProtection=False"),
    Case(
        RDS_PROTECTION,
        [_protected(_rds(deletionProtection=False))],
        [_protected(_rds(deletionProtection=True))],
        "set deletionProtection=True",
    ),
    Case(
        TABLE_PROTECTION,
        [res(TABLE, deletionProtectionEnabled=True)],
        [res(TABLE, deletionProtectionEnabled=False)],
        "set deletionProtectionEnabled=False",
    ),
    Case(
        TABLE_PROTECTION,
        [_protected(res(TABLE, deletionProtectionEnabled=False))],
        [_protected(res(TABLE, deletionProtectionEnabled=True))],
        "set deletionProtectionEnabled=True",
    ),
    Case(BUCKET_EMPTIED, [res(BUCKET)], [res(BUCKET, forceDestroy=True)], "set forceDestroy=true"),
    Case(
        BUCKET_EMPTIED,
        [_protected(res(BUCKET, forceDestroy=True))],
        [_protected(res(BUCKET, forceDestroy=False))],
        "set forceDestroy=false",
    ),
    # --- the README's promises ---
    Case(
        "kms-key-deletion-window-30-days",
        [res(KEY, deletionWindowInDays=7)],
        [res(KEY, deletionWindowInDays=30)],
        "set 30",
    ),
    Case(
        "launch-template-pinned-image",
        [_template(imageId="resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")],
        [_template(imageId="ami-0d6fc8f787cd9a417")],
        "is decided at every launch",
    ),
    Case(
        "nacl-no-remote-administration-from-anywhere (CKV_AWS_229-232)",
        [res(NACL, ingress=[_acl_rule(100, "allow", 1024, 65535)])],
        [res(NACL, ingress=[_acl_rule(100, "deny", 3389, 3389), _acl_rule(200, "allow", 1024, 65535)])],
        "admits port 3389 from 0.0.0.0/0",
    ),
    Case(
        "nacl-no-remote-administration-from-anywhere (CKV_AWS_229-232)",
        [res(NACL, ingress=[_acl_rule(100, "allow", 22, 22)])],
        [res(NACL, ingress=[_acl_rule(100, "allow", 443, 443)])],
        "admits port 22",
    ),
    Case(
        "s3-bucket-access-logging (S3.9)",
        [res(BUCKET, bucket=AUDIT)],
        [res(BUCKET, bucket=AUDIT), res(BUCKET_LOGGING, bucket=AUDIT, targetBucket=ACCESS_LOG_BUCKET)],
        "logs no access",
    ),
    Case(
        "s3-bucket-access-logging (S3.9)",
        [
            res(BUCKET, "logs", bucket=ACCESS_LOG_BUCKET),
            res(BUCKET_POLICY, bucket=ACCESS_LOG_BUCKET, policy=policy_document(DENY_HTTP)),
        ],
        [
            res(BUCKET, "logs", bucket=ACCESS_LOG_BUCKET),
            res(BUCKET_POLICY, bucket=ACCESS_LOG_BUCKET, policy=policy_document(DENY_HTTP, LOG_DELIVERY_WRITES)),
        ],
        "only the access-log bucket itself is exempt",
    ),
    Case(
        "cloudtrail-reviewed-by-cis-metric-filters (CKV2_AWS_10, CloudWatch.1-14)",
        [res(TRAIL, name="trail-dev-d01")],
        _reviewed_trail(),
        "not delivered to CloudWatch Logs",
    ),
    Case(
        "cloudtrail-reviewed-by-cis-metric-filters (CKV2_AWS_10, CloudWatch.1-14)",
        _reviewed_trail()[:-1],
        _reviewed_trail(),
        "filters without an alarm: cis",
    ),
    Case(
        "iam-no-aws-managed-policies",
        [res(ATTACHMENT, role="role-web-dev-d01", policyArn="arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy")],
        [res(ATTACHMENT, role="role-web-dev-d01", policyArn="arn:aws:iam::123456789012:policy/web-dev-d01")],
        "is an AWS managed policy",
    ),
)

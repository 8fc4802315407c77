"""The stable contract between layers: what each layer exports and what it reads from below.

Layers read the layers below them only through `pulumi.StackReference`, and only the keys
listed here; tests check that every layer exports exactly its contract.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

from shared.environments import ENVIRONMENTS
from shared.functions import FUNCTIONS

DEPLOY_ORDER: tuple[str, ...] = ("networking", "data", "application", "observability")

# The web tier's two colours: the application layer keys its per-colour exports by them, and the
# observability layer reads them back the same way.
Color = Literal["blue", "green"]
COLORS: tuple[Color, ...] = get_args(Color)

_IDENTITY = {
    "environment": f"Environment name ({', '.join(ENVIRONMENTS)}): downstream layers refuse a mismatch.",
    "region": "AWS region of the stack: downstream layers refuse a mismatch.",
}


@dataclass(frozen=True)
class LayerContract:
    name: str
    exports: Mapping[str, str]
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def readers_of(self, key: str) -> list[str]:
        """Layers that read `key` of this layer."""
        return [c.name for c in CONTRACTS.values() if key in c.reads.get(self.name, ())]


def _contract(name: str, exports: dict[str, str], reads: dict[str, tuple[str, ...]] | None = None) -> LayerContract:
    return LayerContract(
        name=name,
        exports=MappingProxyType({**_IDENTITY, **exports}),
        reads=MappingProxyType({layer: ("environment", "region", *keys) for layer, keys in (reads or {}).items()}),
    )


NETWORKING = _contract(
    "networking",
    {
        "accountId": "AWS account id the environment lives in.",
        "vpcId": "VPC id.",
        "vpcCidr": "VPC IPv4 CIDR block.",
        "availabilityZones": "AZ names used, in subnet order.",
        "publicSubnetIds": "Public subnet ids, one per AZ (ALB).",
        "privateSubnetIds": "Private subnet ids, one per AZ (Lambda, databases, web tier).",
        "privateRouteTableIds": "Private route table ids (one per AZ).",
        "natGatewayIds": "NAT gateway ids (empty when natStrategy is none).",
        "lambdaSecurityGroupId": "Security group of the payment Lambdas.",
        "databaseSecurityGroupId": "Security group of PostgreSQL (ingress from the RDS proxy only).",
        "proxySecurityGroupId": "Security group of the RDS proxy (ingress from the Lambdas only).",
        "albSecurityGroupId": "Security group of the public ALB (443, and 80 for the redirect).",
        "webSecurityGroupId": "Security group of the EC2 web tier (ingress from the ALB only).",
        "endpointsSecurityGroupId": "Security group of the interface VPC endpoints (443 from the VPC).",
        "interfaceEndpointServices": "AWS services reachable privately through interface endpoints.",
        "flowLogGroupName": "CloudWatch log group of the VPC flow logs.",
        "peeringConnectionId": "VPC peering connection id, or null when peering is off.",
    },
)

DATA = _contract(
    "data",
    {
        "kmsKeyArn": "ARN of the data key (CMK): RDS, secrets, DynamoDB, audit bucket, SQS, SNS, Lambda env.",
        "databaseEngine": "postgres (RDS instance) or aurora-postgresql (Aurora Serverless v2 cluster).",
        "databaseIdentifier": "DB instance identifier (postgres) or DB cluster identifier (aurora-postgresql).",
        "databaseEndpoint": "Host name of the database (writer) endpoint; clients use proxyEndpoint.",
        "databasePort": "PostgreSQL port (5432) of the database and the proxy.",
        "databaseName": "Database holding the settlement ledger.",
        "databaseSecretArn": (
            "Secrets Manager secret (username/password) kept and rotated by RDS, CMK-encrypted: the ledger owner, "
            "for the deploy-time migration step only (DB_OWNER_SECRET_ARN), never the worker."
        ),
        "ledgerWriterUsername": (
            "PostgreSQL role the settlement worker signs in as with IAM through the proxy, and the migration step "
            "provisions (DB_WRITER_USER); it has no password."
        ),
        "ledgerWriterConnectArn": (
            "rds-db:connect resource of the ledger writer at the proxy (arn:aws:rds-db:...:dbuser:prx-.../<user>): "
            "the settlement worker's only database grant."
        ),
        "keyHashParameterName": (
            "SSM SecureString parameter (64-character generated key, CMK-encrypted): KEY_HASH_PARAMETER_NAME."
        ),
        "keyHashParameterArn": "ARN of the key-hash parameter (IAM scoping of ssm:GetParameter).",
        "keyHashKey": (
            "The key-hash key itself, as a Pulumi secret (encrypted in state, shown as [secret]): the application "
            "layer keys the ALB door's API-key digests with it."
        ),
        "proxyEndpoint": "Host name of the RDS Proxy the Lambdas connect to (TLS required).",
        "transactionsTableName": "DynamoDB table of payment transactions (key schema: payments.storage_schema).",
        "transactionsTableArn": "ARN of the transactions table (IAM scoping; promotable: in the promotion record).",
        "idempotencyTableName": "DynamoDB table of idempotency records (TTL attribute from payments.storage_schema).",
        "idempotencyTableArn": "ARN of the idempotency table (promotable: in the promotion record).",
        "merchantsTableName": (
            "DynamoDB table of API key -> merchant, written by the application layer's deploy "
            "(layout: payments.storage_schema)."
        ),
        "merchantsTableArn": "ARN of the merchants table (IAM scoping: the functions' GetItem).",
        "auditBucketName": "S3 bucket of the audit trail (SSE-KMS with kmsKeyArn, versioned, TLS only).",
        "auditBucketArn": "ARN of the audit bucket.",
        "albLogsBucketName": "S3 bucket for ALB access logs (SSE-S3, ELB log delivery allowed).",
        "albLogsBucketArn": "ARN of the ALB access-log bucket.",
        "accessLogsBucketName": (
            "S3 bucket (SSE-S3, versioned) receiving the server access logs of the audit, ALB-log and trail buckets."
        ),
        "drRegion": "Region holding the DR copies (backups, audit trail), or null when DR is off.",
        "autoScalingRoleArn": "Auto Scaling service-linked role of the web tier (the data key lets it encrypt EBS).",
    },
    reads={"networking": ("privateSubnetIds", "databaseSecurityGroupId", "proxySecurityGroupId")},
)

# Each payment function's exports (shared/functions.py): "process-payment (POST /process-payment: ...)".
_FUNCTIONS = {function.key: f"{function.name} ({function.description})" for function in FUNCTIONS}

APPLICATION = _contract(
    "application",
    {
        **{f"{key}FunctionName": f"Lambda function name of {what}." for key, what in _FUNCTIONS.items()},
        **{f"{key}FunctionArn": f"Lambda function ARN of {what}." for key, what in _FUNCTIONS.items()},
        "lambdaLogGroupNames": "CloudWatch log group of each function, keyed like the function exports.",
        "functionTimeouts": "Timeout in seconds of each function, keyed like the function exports (duration alarms).",
        "paymentQueueName": "SQS queue of accepted payments the settlement worker consumes.",
        "paymentQueueArn": "ARN of the payment queue.",
        "paymentQueueUrl": "URL of the payment queue.",
        "paymentDlqName": "Dead-letter queue of payment messages that failed maxReceiveCount deliveries.",
        "paymentDlqArn": "ARN of the payment dead-letter queue.",
        "paymentDlqUrl": "URL of the payment dead-letter queue (redrive goes back to the payment queue only).",
        "lambdaDlqName": "Dead-letter queue of the functions' failed asynchronous invocations.",
        "lambdaDlqArn": "ARN of the functions' dead-letter queue.",
        "notificationTopicArn": "SNS topic of settlement notifications (only the worker publishes).",
        "metricsNamespace": "CloudWatch namespace of the functions' custom metrics.",
        "metricsServiceName": "Value of the `service` dimension on every custom metric (POWERTOOLS_SERVICE_NAME).",
        "artifactSha256": "Hex sha256 of the Lambda zip every function runs (promotion compares it).",
        "apiId": "REST API id of the payments API (API Gateway).",
        "apiName": "REST API name: the ApiName dimension of AWS/ApiGateway metrics.",
        "apiStageName": "Stage serving the API: the Stage dimension of AWS/ApiGateway metrics.",
        "apiEndpoint": "Invoke URL of the stage (https://<api id>.execute-api.<region>.amazonaws.com/<stage>).",
        "processPaymentUrl": "URL of POST /process-payment.",
        "verifyPaymentUrl": "URL of GET /verify-payment?transaction_id=<id>.",
        "apiKeyIds": "Merchant id -> API key id (never the key value: get-api-key --include-value reads it).",
        # --- edge: ALB, certificate, WAF ---
        "albArn": "ARN of the public ALB.",
        "albArnSuffix": "ARN suffix of the ALB (CloudWatch dimension LoadBalancer).",
        "albDnsName": "DNS name AWS gave the ALB.",
        "albUrl": "https:// URL clients use: the domain when configured, else the ALB's DNS name.",
        "certificateArn": "ACM certificate of the 443 listener (DNS-validated, or generated and imported).",
        "wafWebAclArn": "ARN of the regional WAF web ACL (associate the API Gateway stage with it), or null.",
        # --- API behind the ALB (/api/*) ---
        "lambdaTargetGroupArnSuffix": "ARN suffix of the Lambda target group behind /api/* (CloudWatch TargetGroup).",
        # --- web tier, blue/green ---
        "webActiveColor": "Colour the 443 listener sends traffic to (blue or green).",
        "webTargetGroupArns": "Target group ARN per colour ({blue, green}): make release reads their health.",
        "webTargetGroupArnSuffixes": "Target group ARN suffix per colour ({blue, green}; CloudWatch TargetGroup).",
        "webAutoScalingGroupNames": "Auto Scaling group name per colour ({blue, green}).",
        # --- promotion: the one cross-environment read (shared/promotion.py) ---
        "promotedFrom": (
            "Where this release was promoted from, read from the lower environment's promotion record "
            "(platform:promotedFrom): {environment, commit, artifactSha256, tables}; null when not gated."
        ),
    },
    reads={
        "networking": (
            "vpcId",
            "publicSubnetIds",
            "privateSubnetIds",
            "albSecurityGroupId",
            "webSecurityGroupId",
            "lambdaSecurityGroupId",
        ),
        "data": (
            "kmsKeyArn",
            "albLogsBucketName",
            "autoScalingRoleArn",
            "transactionsTableName",
            "transactionsTableArn",
            "idempotencyTableName",
            "idempotencyTableArn",
            "auditBucketName",
            "auditBucketArn",
            "databaseSecretArn",
            "ledgerWriterUsername",
            "ledgerWriterConnectArn",
            "keyHashParameterName",
            "keyHashParameterArn",
            "keyHashKey",
            "merchantsTableName",
            "merchantsTableArn",
            "proxyEndpoint",
            "databasePort",
            "databaseName",
        ),
    },
)

# What the observability layer alarms on at the edge (ALB, its targets, the web tier's Auto Scaling
# groups): the CloudWatch dimensions the application layer exports.
EDGE_METRIC_KEYS: tuple[str, ...] = (
    "albArnSuffix",
    "lambdaTargetGroupArnSuffix",
    "webTargetGroupArnSuffixes",
    "webAutoScalingGroupNames",
)

OBSERVABILITY = _contract(
    "observability",
    {
        "alarmTopicArn": "SNS topic (encrypted with the data key) every alarm sends ALARM and OK to.",
        "alarmNames": "Name of every metric alarm, keyed by what it watches (e.g. processPaymentErrors).",
        "compositeAlarmName": "The composite 'payments degraded' alarm over the critical alarms.",
        "dashboardName": "CloudWatch dashboard of the environment (transaction latency, throughput, failures).",
        "dashboardUrl": "Console URL of the dashboard.",
        "xrayGroupName": "X-Ray group of the payment service's traces.",
        "samplingRuleName": "X-Ray sampling rule of the payments API (rate from observability:samplingRate).",
        "trailArn": "CloudTrail trail of the environment (management events, audit bucket data events).",
        "trailBucketName": "S3 bucket the trail delivers to (KMS-encrypted, versioned, retention per environment).",
    },
    reads={
        "application": (
            *(f"{function.key}FunctionName" for function in FUNCTIONS if function.alarms),
            "functionTimeouts",
            "paymentQueueName",
            "paymentDlqName",
            "lambdaDlqName",
            "metricsNamespace",
            "metricsServiceName",
            "apiName",
            "apiStageName",
            *EDGE_METRIC_KEYS,
        ),
        "data": ("kmsKeyArn", "databaseEngine", "databaseIdentifier", "auditBucketArn", "accessLogsBucketName"),
    },
)

CONTRACTS: Mapping[str, LayerContract] = MappingProxyType(
    {c.name: c for c in (NETWORKING, DATA, APPLICATION, OBSERVABILITY)}
)

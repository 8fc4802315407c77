"""Resource names: `{resource-type}-{environment}-{suffix}`, checked against each service's rules."""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from shared.errors import NameLimitError


@dataclass(frozen=True)
class NameRule:
    service: str
    max_length: int
    pattern: re.Pattern[str]
    allowed: str


def _rule(service: str, max_length: int, pattern: str, allowed: str) -> NameRule:
    return NameRule(service, max_length, re.compile(pattern), allowed)


_LOWER_HYPHEN = r"^[a-z][a-z0-9-]*[a-z0-9]$"
_ALNUM_HYPHEN = r"^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$"
_WORD = r"^[A-Za-z0-9_+=,.@/-]+$"

# Per-service limits from the AWS documentation for each resource's name.
RULES: dict[str, NameRule] = {
    "s3": _rule("S3 bucket", 63, r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$", "lowercase letters, digits, dots, hyphens"),
    "rds": _rule("RDS identifier", 63, r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$", "lowercase letters, digits, hyphens"),
    "rds-proxy": _rule("RDS Proxy", 60, r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$", "lowercase letters, digits, hyphens"),
    "elb": _rule("Load balancer / target group", 32, _ALNUM_HYPHEN, "letters, digits, hyphens"),
    "lambda": _rule("Lambda function", 64, r"^[A-Za-z0-9_-]+$", "letters, digits, hyphens, underscores"),
    "iam": _rule("IAM role or policy", 64, _WORD, "letters, digits and _+=,.@-"),
    "sqs": _rule("SQS queue", 80, r"^[A-Za-z0-9_-]+$", "letters, digits, hyphens, underscores"),
    "sns": _rule("SNS topic", 256, r"^[A-Za-z0-9_-]+$", "letters, digits, hyphens, underscores"),
    "dynamodb": _rule("DynamoDB table", 255, r"^[A-Za-z0-9_.-]+$", "letters, digits, _ . -"),
    "logs": _rule("CloudWatch log group", 512, r"^[A-Za-z0-9_./#-]+$", "letters, digits, _ . / # -"),
    "kms-alias": _rule("KMS alias", 256, r"^alias/[A-Za-z0-9/_-]+$", "alias/ then letters, digits, / _ -"),
    "secrets": _rule("Secrets Manager secret", 512, r"^[A-Za-z0-9/_+=.@-]+$", "letters, digits and /_+=.@-"),
    "ssm": _rule("SSM parameter", 1011, r"^/[A-Za-z0-9/_.-]+$", "a path of letters, digits, / _ . -"),
    "ec2": _rule("EC2 Name tag", 255, _LOWER_HYPHEN, "lowercase letters, digits, hyphens"),
    "apigateway": _rule("API Gateway", 1024, _ALNUM_HYPHEN, "letters, digits, hyphens"),
    "cloudwatch": _rule("CloudWatch alarm or dashboard", 255, r"^[A-Za-z0-9_-]+$", "letters, digits, _ -"),
    "xray": _rule("X-Ray group or sampling rule", 32, r"^[A-Za-z0-9_-]+$", "letters, digits, _ -"),
    "cloudtrail": _rule("CloudTrail trail", 128, r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$", "letters, digits, . _ -"),
    "generic": _rule("resource", 255, _LOWER_HYPHEN, "lowercase letters, digits, hyphens"),
}


@dataclass(frozen=True)
class Namer:
    """Builds every physical name of one environment, so the suffix is never forgotten."""

    environment: str
    suffix: str

    def name(self, resource_type: str, service: str = "generic") -> str:
        """`{resource-type}-{environment}-{suffix}`, e.g. `vpc-prod-p01`."""
        return self.check(f"{resource_type}-{self.environment}-{self.suffix}", service)

    def replaceable_name(self, resource_type: str, service: str, replacing: Mapping[str, object]) -> str:
        """`{resource-type}-{environment}-{suffix}-{4 hex}` for a resource that must be created before the
        one it replaces (a target group in use by a listener): the hex is a digest of `replacing`, the
        properties whose change forces a replacement, so the replacement gets a name of its own."""
        digest = hashlib.sha256(json.dumps(replacing, sort_keys=True).encode()).hexdigest()[:4]
        return self.check(f"{self.name(resource_type, service)}-{digest}", service)

    def global_name(self, resource_type: str, account_id: str, region: str, service: str = "s3") -> str:
        """Globally unique name (S3): the environment name plus account and region."""
        return self.check(f"{resource_type}-{self.environment}-{self.suffix}-{account_id}-{region}", service)

    def path(self, *parts: str) -> str:
        """Hierarchical name (SSM, log groups): `/{environment}-{suffix}/part/...`."""
        return "/" + "/".join((f"{self.environment}-{self.suffix}", *parts))

    @staticmethod
    def check(name: str, service: str) -> str:
        rule = RULES[service]
        if len(name) > rule.max_length:
            raise NameLimitError(
                f"{rule.service} name {name!r} is {len(name)} characters; the limit is {rule.max_length}. "
                "Shorten platform:environmentSuffix or the resource type."
            )
        if not rule.pattern.match(name):
            raise NameLimitError(f"{rule.service} name {name!r} is not allowed; it may contain {rule.allowed}.")
        return name

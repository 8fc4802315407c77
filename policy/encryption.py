"""KMS keys, and what must be encrypted with them: CloudWatch log groups, SSM SecureStrings, secrets."""

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policy.rules import for_types, is_set, items, known, principals, resource_policy, statements, value
from shared.environments import LOG_RETENTION_DAYS

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PARAMETER = "aws:ssm/parameter:Parameter"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 (a type token, not a password)

ROTATABLE_KEY_SPEC = "SYMMETRIC_DEFAULT"
FULL_ACCESS = ("kms:*", "*")
ACCOUNT_ROOT = re.compile(r"^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$")
PCI_RETENTION_DAYS = 365  # PCI DSS 10.5.1: twelve months of audit log history


def _rotation(args: ResourceValidationArgs) -> str | None:
    spec = value(args.props, "customerMasterKeySpec") or value(args.props, "keySpec") or ROTATABLE_KEY_SPEC
    if spec == ROTATABLE_KEY_SPEC and value(args.props, "enableKeyRotation") is not True:
        return "automatic rotation is off: set enableKeyRotation=true"
    return None


def _grants_full_access(statement: Mapping[str, Any]) -> bool:
    return value(statement, "Effect") == "Allow" and bool(set(FULL_ACCESS) & set(items(value(statement, "Action"))))


def _least_privilege_key_policy(args: ResourceValidationArgs) -> str | None:
    for statement in statements(value(args.props, "policy")):
        if not _grants_full_access(statement):
            continue
        others = sorted(p for p in principals(statement) if not ACCOUNT_ROOT.match(p))
        if others:
            sid = value(statement, "Sid") or "(no Sid)"
            return (
                f"statement {sid} grants kms:* to {', '.join(others)}: only the account root may hold kms:*; "
                "grant named actions (kms:Decrypt, kms:GenerateDataKey*, ...) with conditions instead"
            )
    return None


def _log_group_cmk(args: ResourceValidationArgs) -> str | None:
    return None if is_set(args.props, "kmsKeyId") else "log events are not encrypted with a CMK: set kmsKeyId"


def _log_retention(args: ResourceValidationArgs) -> str | None:
    days = value(args.props, "retentionInDays")
    if days in (None, 0):
        return "logs are kept forever: set retentionInDays (platform:logRetentionDays)"
    if days not in LOG_RETENTION_DAYS:
        return f"retentionInDays {days!r} is not a CloudWatch Logs value; use one of {LOG_RETENTION_DAYS}"
    if known(args.props, "tags", "Environment") == "prod" and days < PCI_RETENTION_DAYS:
        return f"prod keeps logs {days:g} days: PCI DSS 10.5.1 needs at least {PCI_RETENTION_DAYS}"
    return None


def _secure_string_cmk(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "type") == "SecureString" and not is_set(args.props, "keyId"):
        return "the SecureString uses the AWS-managed key: set keyId to the platform CMK"
    return None


def _secure_string(args: ResourceValidationArgs) -> str | None:
    kind = value(args.props, "type")
    if kind != "SecureString":
        return (
            f"a {kind} parameter is readable by anyone who may describe the account's configuration: Parameter "
            "Store holds only sensitive values here (type SecureString); pass a plain setting through the layer "
            "contracts as an environment variable"
        )
    return None


def _secret_cmk(args: ResourceValidationArgs) -> str | None:
    return None if is_set(args.props, "kmsKeyId") else "the secret uses the AWS-managed key: set kmsKeyId"


POLICIES = (
    resource_policy(
        "kms-key-rotation-enabled (KMS.4)",
        "Symmetric customer-managed KMS keys rotate automatically.",
        {KEY: _rotation},
    ),
    resource_policy(
        "kms-key-policy-no-full-access (CKV_AWS_33)",
        "No KMS key policy grants kms:* to anyone but the account root.",
        for_types((KEY, KEY_POLICY), _least_privilege_key_policy),
    ),
    resource_policy(
        "cloudwatch-log-group-encrypted (CKV_AWS_158)",
        "CloudWatch log groups are encrypted with a customer-managed key.",
        {LOG_GROUP: _log_group_cmk},
    ),
    resource_policy(
        "cloudwatch-log-group-retention (CKV_AWS_66)",
        "CloudWatch log groups keep logs for an allowed period, a year or more in prod (PCI DSS 10.5.1).",
        {LOG_GROUP: _log_retention},
    ),
    resource_policy(
        "ssm-parameter-is-secure-string (CKV2_AWS_34)",
        "SSM parameters are SecureStrings: Parameter Store holds the platform's static sensitive configuration only.",
        {PARAMETER: _secure_string},
    ),
    resource_policy(
        "ssm-secure-string-encrypted-with-cmk (CKV_AWS_337)",
        "SSM SecureString parameters are encrypted with the customer-managed key.",
        {PARAMETER: _secure_string_cmk},
    ),
    resource_policy(
        "secretsmanager-secret-encrypted-with-cmk (CKV_AWS_149)",
        "Secrets Manager secrets are encrypted with the customer-managed key.",
        {SECRET: _secret_cmk},
    ),
)

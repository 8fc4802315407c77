"""IAM and KMS policy documents as plain dicts, so tests and policies can read them."""

import json
from typing import Any

import pulumi


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def to_json(doc: Any) -> pulumi.Output[str]:
    """JSON of a policy that may hold Outputs (ARNs of resources not created yet)."""
    return pulumi.Output.from_input(doc).apply(lambda resolved: json.dumps(resolved, sort_keys=True))


def service_trust(service: str, account_id: str, source_arn: str | None = None) -> dict[str, Any]:
    """Trust policy for an AWS service, confined to this account (confused-deputy guard)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


def logs_key_statement(region: str, account_id: str, *log_group_patterns: str) -> dict[str, Any]:
    """CloudWatch Logs may use the key only for the named log groups of this account."""
    arns = [f"arn:aws:logs:{region}:{account_id}:log-group:{pattern}" for pattern in log_group_patterns]
    return {
        "Sid": "CloudWatchLogsEncrypts",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": arns[0] if len(arns) == 1 else arns}},
    }


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


# Key administration without any cryptographic use: no Encrypt/Decrypt/GenerateDataKey, and no
# CreateGrant (a grant would hand out what the policy withholds).
KEY_ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "kms:Describe*", "kms:List*", "kms:Get*",
    "kms:Enable*", "kms:Disable*", "kms:Put*", "kms:Update*", "kms:RevokeGrant", "kms:RetireGrant",
    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)  # fmt: skip
KEY_USE_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
)  # fmt: skip


def key_administration_statement(account_id: str) -> dict[str, Any]:
    """The account (through IAM policies) administers the key but cannot use it directly."""
    return {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": list(KEY_ADMIN_ACTIONS),
        "Resource": "*",
    }


def via_services(region: str, services: tuple[str, ...]) -> list[str]:
    """`kms:ViaService` values of AWS services in one region, e.g. `rds.eu-west-1.amazonaws.com`."""
    return [f"{service}.{region}.amazonaws.com" for service in services]


def key_use_via_services_statements(account_id: str, region: str, services: tuple[str, ...]) -> list[dict[str, Any]]:
    """IAM principals of the account (with an IAM policy allowing it) use the key only through
    the named AWS services, and may let those services hold grants for their resources."""
    via = via_services(region, services)
    account = {"kms:CallerAccount": account_id, "kms:ViaService": via}
    return [
        {
            "Sid": "UseOnlyThroughNamedServices",
            "Effect": "Allow",
            "Principal": {"AWS": account_root(account_id)},
            "Action": list(KEY_USE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": account},
        },
        {
            "Sid": "GrantsOnlyForAwsResources",
            "Effect": "Allow",
            "Principal": {"AWS": account_root(account_id)},
            "Action": ["kms:CreateGrant", "kms:ListGrants"],
            "Resource": "*",
            "Condition": {"StringEquals": account, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


def service_principal_key_statement(sid: str, service: str, account_id: str) -> dict[str, Any]:
    """An AWS service principal (e.g. SNS delivering to an encrypted queue) uses the key for
    this account's resources only."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def autoscaling_ebs_key_statements(role_arn: Any) -> list[dict[str, Any]]:
    """What an Auto Scaling service-linked role needs to launch instances whose EBS volumes are
    encrypted with a customer-managed key: use of the key, and grants for the volumes it attaches
    (AWS: "Required AWS KMS key policy for use with encrypted volumes", EC2 Auto Scaling guide).
    Without them instances never launch (Client.InternalError)."""
    return [
        {
            "Sid": "AutoScalingUsesKeyForEbs",
            "Effect": "Allow",
            "Principal": {"AWS": role_arn},
            "Action": list(KEY_USE_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "AutoScalingGrantsForEbs",
            "Effect": "Allow",
            "Principal": {"AWS": role_arn},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


def deny_insecure_transport(bucket_arn: Any) -> dict[str, Any]:
    """Bucket policy statement refusing every request that is not over TLS (Security Hub S3.5)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.from_input(bucket_arn).apply(lambda arn: f"{arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }

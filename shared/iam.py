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


def key_admin_statement(account_id: str) -> dict[str, Any]:
    """Only the account root holds kms:*; IAM policies in the account delegate from it."""
    return {
        "Sid": "AccountRootAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_statement(region: str, account_id: str, log_group_pattern: str) -> dict[str, Any]:
    """CloudWatch Logs may use the key only for the named log groups of this account."""
    return {
        "Sid": "CloudWatchLogsEncrypts",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": (
                    f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_pattern}"
                )
            }
        },
    }

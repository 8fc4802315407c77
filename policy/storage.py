"""S3: encrypted, private, TLS only, aged out; the audit trail also versioned.

Buckets use the v7 companion resources (encryption, public access block, policy, lifecycle,
versioning): resource policies check what each companion says, stack policies that every bucket has one.
"""

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs

from policy.rules import (
    Companion,
    companion_policy,
    items,
    known,
    principals,
    resource_policy,
    statements,
    value,
)

BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"

SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
PUBLIC_ACCESS_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
AUDIT_PREFIX = "audit-"


def _encryption(args: ResourceValidationArgs) -> str | None:
    rules = items(value(args.props, "rules"))
    for rule in rules:
        algorithm = value(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algorithm not in SSE_ALGORITHMS:
            return (
                f"default encryption algorithm is {algorithm!r}: set sseAlgorithm to aws:kms (or AES256 for ALB logs)"
            )
        if algorithm != "AES256" and not value(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"):
            return "SSE-KMS without kmsMasterKeyId uses the AWS-managed key: set kmsMasterKeyId to the platform CMK"
    return None if rules else "no default encryption rule: add one with sseAlgorithm aws:kms and the platform CMK"


def _public_access(args: ResourceValidationArgs) -> str | None:
    off = [setting for setting in PUBLIC_ACCESS_SETTINGS if value(args.props, setting) is not True]
    return f"public access is not fully blocked: set {', '.join(off)} to true" if off else None


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    condition = value(statement, "Condition", "Bool", "aws:SecureTransport")
    return (
        value(statement, "Effect") == "Deny"
        and principals(statement) == {"*"}
        and bool({"s3:*", "*"} & set(items(value(statement, "Action"))))
        and str(condition).lower() == "false"
    )


def _tls_only(args: ResourceValidationArgs) -> str | None:
    if any(_denies_insecure_transport(s) for s in statements(value(args.props, "policy"))):
        return None
    return (
        "the bucket policy does not deny plain HTTP: add a Deny of s3:* for Principal * "
        'with Condition {"Bool": {"aws:SecureTransport": "false"}} on the bucket and its objects'
    )


def _lifecycle(args: ResourceValidationArgs) -> str | None:
    enabled = [r for r in items(value(args.props, "rules")) if value(r, "status") == "Enabled"]
    if any(value(r, "expiration") or value(r, "transitions") for r in enabled):
        return None
    return "no enabled lifecycle rule expires or transitions objects: add one per the retention in docs/design.md"


def _versioning(args: ResourceValidationArgs) -> str | None:
    status = value(args.props, "versioningConfiguration", "status")
    return None if status == "Enabled" else f"versioning is {status!r}: set versioningConfiguration.status to Enabled"


def _is_audit_bucket(bucket: PolicyResource) -> bool:
    return str(known(bucket.props, "bucket") or "").startswith(AUDIT_PREFIX)


def _companion(companion_type: str, fix: str) -> Companion:
    return Companion(BUCKET, companion_type, link="bucket", subject_keys=("bucket", "id"), fix=fix)


POLICIES = (
    resource_policy(
        "s3-bucket-server-side-encryption-enabled (S3.4)",
        "S3 default encryption uses SSE-KMS with a customer-managed key (or SSE-S3 where AWS requires it).",
        {ENCRYPTION: _encryption},
    ),
    resource_policy(
        "s3-bucket-level-public-access-prohibited (S3.8)",
        "S3 public access blocks set all four settings to true.",
        {PUBLIC_ACCESS_BLOCK: _public_access},
    ),
    resource_policy(
        "s3-bucket-ssl-requests-only (S3.5)",
        "S3 bucket policies deny every request that does not use TLS.",
        {BUCKET_POLICY: _tls_only},
    ),
    resource_policy(
        "s3-bucket-lifecycle-configured (S3.13)",
        "S3 lifecycle configurations expire or transition objects.",
        {LIFECYCLE: _lifecycle},
    ),
    resource_policy(
        "s3-bucket-versioning-enabled (S3.14)",
        "S3 versioning configurations are Enabled, never Suspended.",
        {VERSIONING: _versioning},
    ),
    companion_policy(
        "s3-bucket-has-encryption (S3.4)",
        "Every S3 bucket declares its default encryption.",
        _companion(ENCRYPTION, "add an aws.s3.BucketServerSideEncryptionConfiguration for it"),
    ),
    companion_policy(
        "s3-bucket-has-public-access-block (S3.8)",
        "Every S3 bucket has a public access block.",
        _companion(PUBLIC_ACCESS_BLOCK, "add an aws.s3.BucketPublicAccessBlock with all four settings true"),
    ),
    companion_policy(
        "s3-bucket-has-tls-only-policy (S3.5)",
        "Every S3 bucket has a bucket policy (which S3.5 requires to deny plain HTTP).",
        _companion(BUCKET_POLICY, "add an aws.s3.BucketPolicy that denies aws:SecureTransport false"),
    ),
    companion_policy(
        "s3-bucket-has-lifecycle (S3.13)",
        "Every S3 bucket has a lifecycle configuration, so nothing is kept forever by accident.",
        _companion(LIFECYCLE, "add an aws.s3.BucketLifecycleConfiguration per the retention table"),
    ),
    companion_policy(
        "s3-audit-bucket-versioned (S3.14)",
        "Audit buckets (audit-*) are versioned, so an audit record cannot be silently overwritten.",
        Companion(
            BUCKET,
            VERSIONING,
            link="bucket",
            subject_keys=("bucket", "id"),
            applies=_is_audit_bucket,
            fix="add an aws.s3.BucketVersioning with status Enabled",
        ),
    ),
)

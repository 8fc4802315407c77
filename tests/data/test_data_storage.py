"""The data key's policy and the two buckets: what a security review of the plan would check."""

import pytest

from data.kms import KEY_SERVICES
from shared.environments import ENVIRONMENTS
from tests.data.common import (
    ACCOUNT,
    EXPECTED,
    as_list,
    by_name,
    data_layer,
    key_arn,
    named,
    policy_of,
    statement,
)
from tests.support import one, resources

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_data_key_rotates_and_has_an_alias(env):
    layer = data_layer(env)
    key = named(layer, "key", "data-key-key")["inputs"]
    assert key["enableKeyRotation"] is True
    assert key["rotationPeriodInDays"] == 365
    assert key["deletionWindowInDays"] == 30
    alias = named(layer, "alias", "data-key-alias")["inputs"]
    assert alias["name"] == f"alias/data-{env}-{EXPECTED[env]['suffix']}"
    assert layer["outputs"]["kmsKeyArn"] == key_arn(layer)


AUTOSCALING_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_{{env}}"
)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_key_policy_lets_the_web_tiers_autoscaling_role_encrypt_ebs(env):
    """Instances with CMK-encrypted volumes never launch without these (Client.InternalError)."""
    layer = data_layer(env)
    role_arn = AUTOSCALING_ROLE.format(env=f"{env}-{EXPECTED[env]['suffix']}")
    role = one(layer, "aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role["inputs"]["awsServiceName"] == "autoscaling.amazonaws.com"
    assert role["outputs"]["arn"] == role_arn == layer["outputs"]["autoScalingRoleArn"]
    policy = policy_of(named(layer, "key", "data-key-key"))
    use = statement(policy, "AutoScalingUsesKeyForEbs")
    assert use["Principal"] == {"AWS": role_arn}
    assert set(use["Action"]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    }
    grants = statement(policy, "AutoScalingGrantsForEbs")
    assert grants["Principal"] == {"AWS": role_arn}
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_key_policy_grants_no_wildcard_and_use_only_through_named_services(env):
    region = EXPECTED[env]["region"]
    policy = policy_of(named(data_layer(env), "key", "data-key-key"))
    # nobody, not even the account root, holds kms:* or a bare "*"
    for s in policy["Statement"]:
        assert s["Effect"] == "Allow"
        for action in as_list(s["Action"]):
            assert action not in ("kms:*", "*"), s["Sid"]
        # every non-root principal is a service or the web tier's Auto Scaling role, and every
        # grant to a service is conditioned
        principal = s["Principal"]
        autoscaling = {"AWS": AUTOSCALING_ROLE.format(env=f"{env}-{EXPECTED[env]['suffix']}")}
        assert principal in ({"AWS": ROOT}, autoscaling) or set(principal) == {"Service"}, s["Sid"]
        if "Service" in principal:
            assert s["Condition"], s["Sid"]
    admin = statement(policy, "AccountAdministersKey")
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:CreateGrant"} & set(admin["Action"])
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"} - set(admin["Action"]) == {"kms:PutKeyPolicy"}
    assert "kms:Put*" in admin["Action"]  # so the key can always be re-governed
    use = statement(policy, "UseOnlyThroughNamedServices")
    assert set(use["Action"]) >= {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"}
    conditions = use["Condition"]["StringEquals"]
    assert conditions["kms:CallerAccount"] == ACCOUNT
    assert conditions["kms:ViaService"] == [f"{s}.{region}.amazonaws.com" for s in KEY_SERVICES]
    # Parameter Store encrypts and decrypts the key-hash parameter with the data key for its callers
    assert set(KEY_SERVICES) >= {"rds", "secretsmanager", "ssm", "dynamodb", "s3", "sqs", "sns"}
    grants = statement(policy, "GrantsOnlyForAwsResources")
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    logs = statement(policy, "CloudWatchLogsEncrypts")
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*-{env}-{EXPECTED[env]['suffix']}*",
        f"arn:aws:logs:{region}:{ACCOUNT}:log-group:RDSOSMetrics",  # data:ownsEnhancedMonitoringLogGroup
    ]
    for sid, service in (
        ("SnsDeliversToEncryptedQueues", "sns.amazonaws.com"),
        ("CloudWatchAlarmsPublishToEncryptedTopics", "cloudwatch.amazonaws.com"),
    ):
        s = statement(policy, sid)
        assert s["Principal"] == {"Service": service}
        assert s["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def _bucket_parts(layer, prefix):
    bucket = named(layer, "bucket", f"{prefix}-bucket")
    name = bucket["inputs"]["bucket"]
    parts = {
        kind: named(layer, kind, f"{prefix}-{suffix}")
        for kind, suffix in (
            ("encryption", "encryption"),
            ("public_access", "public-access"),
            ("policy", "policy"),
            ("lifecycle", "lifecycle"),
            ("ownership", "ownership"),
            ("versioning", "versioning"),
        )
    }
    for part in parts.values():
        assert part["inputs"]["bucket"] == name
    return bucket, parts


def _assert_private_and_tls_only(bucket, parts):
    assert parts["public_access"]["inputs"] == {
        "bucket": bucket["inputs"]["bucket"],
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert parts["ownership"]["inputs"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    tls = statement(policy_of(parts["policy"]), "DenyInsecureTransport")
    arn = bucket["outputs"]["arn"]
    assert tls["Effect"] == "Deny" and tls["Principal"] == "*" and tls["Action"] == "s3:*"
    assert tls["Resource"] == [arn, f"{arn}/*"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert bucket["inputs"]["forceDestroy"] is not bucket["protect"]  # a protected bucket is never emptied


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_audit_bucket_is_versioned_kms_encrypted_private_tls_only(env):
    layer = data_layer(env)
    bucket, parts = _bucket_parts(layer, "audit")
    assert bucket["inputs"]["bucket"] == layer["outputs"]["auditBucketName"]
    assert named(layer, "versioning", "audit-versioning")["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = parts["encryption"]["inputs"]["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(layer)},
        "bucketKeyEnabled": True,
    }
    _assert_private_and_tls_only(bucket, parts)
    policy = policy_of(parts["policy"])
    other_key = statement(policy, "DenyOtherKmsKey")
    assert other_key["Effect"] == "Deny" and other_key["Action"] == "s3:PutObject"
    header = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    assert other_key["Condition"]["StringNotEquals"] == {header: key_arn(layer)}
    assert other_key["Condition"]["Null"] == {header: "false"}
    other_sse = statement(policy, "DenyOtherEncryption")
    assert other_sse["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption": "aws:kms"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_audit_lifecycle_follows_the_environment_table(env):
    _, parts = _bucket_parts(data_layer(env), "audit")
    rules = {r["id"]: r for r in parts["lifecycle"]["inputs"]["rules"]}
    assert set(rules) == {"audit-retention", "expired-delete-markers"}
    retention = rules["audit-retention"]
    assert retention["status"] == "Enabled" and retention["filter"] == {}
    assert retention["transitions"] == [{"days": 30, "storageClass": "INTELLIGENT_TIERING"}]
    assert retention["expiration"] == {"days": EXPECTED[env]["expire_days"]}
    # a replaced or deleted audit record is kept as long as a current one, in every environment
    assert retention["noncurrentVersionExpiration"] == {"noncurrentDays": EXPECTED[env]["expire_days"]}
    assert retention["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rules["expired-delete-markers"]["expiration"] == {"expiredObjectDeleteMarker": True}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_alb_log_bucket_uses_sse_s3_and_lets_only_elb_delivery_write(env):
    layer = data_layer(env)
    bucket, parts = _bucket_parts(layer, "alb-logs")
    assert bucket["inputs"]["bucket"] == layer["outputs"]["albLogsBucketName"]
    (rule,) = parts["encryption"]["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    _assert_private_and_tls_only(bucket, parts)
    policy = policy_of(parts["policy"])
    prefix = f"{bucket['outputs']['arn']}/AWSLogs/{ACCOUNT}/*"
    elb = statement(policy, "RegionalElbAccountWritesLogs")
    assert elb["Principal"]["AWS"].startswith("arn:aws:iam::") and elb["Principal"]["AWS"].endswith(":root")
    assert elb["Principal"]["AWS"] != f"arn:aws:iam::{ACCOUNT}:root"
    assert (elb["Action"], elb["Resource"]) == ("s3:PutObject", prefix)
    delivery = statement(policy, "ElbLogDeliveryWritesLogs")
    assert delivery["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert (delivery["Action"], delivery["Resource"]) == ("s3:PutObject", prefix)
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    rules = {r["id"]: r for r in parts["lifecycle"]["inputs"]["rules"]}
    # versioned, and current and replaced versions kept data:albLogExpirationDays (PCI DSS 10.5.1 in prod)
    days = EXPECTED[env]["expire_days"]
    assert rules["alb-log-retention"]["expiration"] == {"days": days}
    assert rules["alb-log-retention"]["noncurrentVersionExpiration"] == {"noncurrentDays": days}
    assert rules["expired-delete-markers"]["expiration"] == {"expiredObjectDeleteMarker": True}
    assert set(by_name(layer, "versioning")) == {"audit-versioning", "alb-logs-versioning", "access-logs-versioning"}
    assert parts["versioning"]["inputs"]["versioningConfiguration"] == {"status": "Enabled"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_data_layer_resource_is_parented_by_a_component(env):
    layer = data_layer(env)
    components = {r["urn"] for r in layer["resources"] if not r["custom"] and r["type"].startswith("payments:data:")}
    assert len(components) == 9  # key, database, function secrets, proxy, tables, audit, alb logs,
    # their access logs, and the web tier's Auto Scaling role
    for r in layer["resources"]:
        if r["custom"] and not r["type"].startswith("pulumi:"):
            assert r["parent"] in components, r["urn"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_log_buckets_log_their_accesses_into_the_access_log_bucket(env):
    """Who read, wrote or deleted an audit record or an ALB log (PCI DSS 10.2.1.3): S3 server access
    logs of the audit and ALB-log buckets go to one access-log bucket per environment."""
    layer = data_layer(env)
    target = layer["outputs"]["accessLogsBucketName"]
    logging = {r["inputs"]["bucket"]: r["inputs"] for r in resources(layer, "aws:s3/bucketLogging:BucketLogging")}
    for source in (layer["outputs"]["auditBucketName"], layer["outputs"]["albLogsBucketName"]):
        assert logging[source] == {"bucket": source, "targetBucket": target, "targetPrefix": f"{source}/"}
    assert target not in logging  # its own accesses would need yet another bucket (waived: CKV_AWS_18)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_access_log_bucket_is_sse_s3_versioned_private_kept_like_audit_records(env):
    layer = data_layer(env)
    bucket, parts = _bucket_parts(layer, "access-logs")
    assert bucket["inputs"]["bucket"] == layer["outputs"]["accessLogsBucketName"]
    assert bucket["protect"] is EXPECTED[env]["protect"]
    (rule,) = parts["encryption"]["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}  # S3 log delivery needs it
    assert parts["versioning"]["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    _assert_private_and_tls_only(bucket, parts)
    days = EXPECTED[env]["expire_days"]
    assert days >= (365 if env == "prod" else 90)
    rules = {r["id"]: r for r in parts["lifecycle"]["inputs"]["rules"]}
    assert rules["access-log-retention"]["expiration"] == {"days": days}
    assert rules["access-log-retention"]["noncurrentVersionExpiration"] == {"noncurrentDays": days}
    write = statement(policy_of(parts["policy"]), "S3LogsThisEnvironmentsBuckets")
    region, suffix = EXPECTED[env]["region"], EXPECTED[env]["suffix"]
    assert write["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert (write["Action"], write["Resource"]) == ("s3:PutObject", f"{bucket['outputs']['arn']}/*")
    assert write["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::*-{env}-{suffix}-{ACCOUNT}-{region}"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }

"""Shared expectations and small readers for the data-layer tests."""

import json
from typing import Any

from tests.support import layer_of, per_environment, planned, resources

# The per-environment design (docs/design.md), as the data layer must show it in the plan.
EXPECTED: dict[str, dict[str, Any]] = per_environment("tests/data/common.py EXPECTED", {
    "dev": {
        "region": "us-east-1", "suffix": "d01", "instance_class": "db.t3.medium", "multi_az": False,
        "backup_days": 3, "pitr": False, "expire_days": 90, "protect": False, "acu": (0.5, 2.0),
        "log_retention": 30,
    },
    "staging": {
        "region": "us-east-2", "suffix": "s01", "instance_class": "db.t3.medium", "multi_az": True,
        "backup_days": 3, "pitr": True, "expire_days": 90, "protect": False, "acu": (0.5, 4.0),
        "log_retention": 30,
    },
    "prod": {
        "region": "eu-west-1", "suffix": "p01", "instance_class": "db.r5.large", "multi_az": True,
        "backup_days": 7, "pitr": True, "expire_days": 365, "protect": True, "acu": (2.0, 16.0),
        "log_retention": 365,
    },
})  # fmt: skip
ACCOUNT = "123456789012"
TYPES = {
    "key": "aws:kms/key:Key",
    "alias": "aws:kms/alias:Alias",
    "instance": "aws:rds/instance:Instance",
    "cluster": "aws:rds/cluster:Cluster",
    "cluster_instance": "aws:rds/clusterInstance:ClusterInstance",
    "parameter_group": "aws:rds/parameterGroup:ParameterGroup",
    "cluster_parameter_group": "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "subnet_group": "aws:rds/subnetGroup:SubnetGroup",
    "rotation": "aws:secretsmanager/secretRotation:SecretRotation",
    "secret": "aws:secretsmanager/secret:Secret",
    "secret_version": "aws:secretsmanager/secretVersion:SecretVersion",
    "random_password": "random:index/randomPassword:RandomPassword",
    "proxy": "aws:rds/proxy:Proxy",
    "target_group": "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    "target": "aws:rds/proxyTarget:ProxyTarget",
    "table": "aws:dynamodb/table:Table",
    "bucket": "aws:s3/bucket:Bucket",
    "versioning": "aws:s3/bucketVersioning:BucketVersioning",
    "encryption": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "public_access": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "policy": "aws:s3/bucketPolicy:BucketPolicy",
    "lifecycle": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "ownership": "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "replication": "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "backup_replication": "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    "parameter": "aws:ssm/parameter:Parameter",
    "log_group": "aws:cloudwatch/logGroup:LogGroup",
    "role": "aws:iam/role:Role",
    "role_policy": "aws:iam/rolePolicy:RolePolicy",
}


def data_layer(env: str) -> dict[str, Any]:
    return layer_of(planned(env), "data")


def networking_outputs(env: str) -> dict[str, Any]:
    return layer_of(planned(env), "networking")["outputs"]


def by_name(layer: Any, kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one type keyed by their logical name (the last URN segment)."""
    return {r["urn"].split("::")[-1]: r for r in resources(layer, TYPES[kind])}


def named(layer: Any, kind: str, logical: str) -> dict[str, Any]:
    found = by_name(layer, kind)
    assert logical in found, f"no {kind} {logical!r}; have {sorted(found)}"
    return found[logical]


def policy_of(resource: dict[str, Any]) -> dict[str, Any]:
    document = json.loads(resource["inputs"]["policy"])
    assert document["Version"] == "2012-10-17"
    return document


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"statement {sid!r}: found {len(found)} in {[s.get('Sid') for s in document['Statement']]}"
    return found[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def key_arn(layer: Any) -> str:
    """ARN of the primary data key."""
    arn = named(layer, "key", "data-key-key")["outputs"]["arn"]
    assert arn.startswith("arn:aws:kms:")
    return str(arn)

"""The config switches: Aurora Serverless v2 instead of an RDS instance, and DR copies to a second region."""

import json

import pytest

from data.database import LOG_EXPORTS
from shared.environments import ENVIRONMENTS
from tests.data.common import (
    ACCOUNT,
    EXPECTED,
    TYPES,
    by_name,
    data_layer,
    key_arn,
    named,
    policy_of,
    statement,
)
from tests.support import one, resources, run_layer

AURORA = {"data:engine": "aurora-postgresql"}


def dr_on(region: str = "us-west-2") -> dict[str, str]:
    return {"data:dr": json.dumps({"enabled": True, "region": region})}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def aurora(request):
    return request.param, run_layer("data", request.param, AURORA)


def test_aurora_serverless_v2_cluster_replaces_the_instance(aurora):
    env, run = aurora
    expected = EXPECTED[env]
    assert resources(run, TYPES["instance"]) == []
    cluster = one(run, TYPES["cluster"])
    inputs = cluster["inputs"]
    key = key_arn(run)
    assert inputs["clusterIdentifier"] == f"aurora-{env}-{expected['suffix']}"
    assert inputs["engine"] == "aurora-postgresql" and inputs["engineMode"] == "provisioned"
    assert inputs["engineVersion"] == "14"
    low, high = expected["acu"]
    assert inputs["serverlessv2ScalingConfiguration"] == {"minCapacity": low, "maxCapacity": high}
    assert inputs["backupRetentionPeriod"] == expected["backup_days"]
    assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == key
    assert inputs["manageMasterUserPassword"] is True and inputs["masterUserSecretKmsKeyId"] == key
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["enabledCloudwatchLogsExports"] == LOG_EXPORTS["aurora-postgresql"] == ["postgresql"]
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["deletionProtection"] is expected["protect"] and inputs["skipFinalSnapshot"] is True
    assert inputs["deleteAutomatedBackups"] is (env != "prod")
    assert cluster["protect"] is expected["protect"]
    group = one(run, TYPES["cluster_parameter_group"])["inputs"]
    assert group["family"] == "aurora-postgresql14"
    assert {p["name"]: p["value"] for p in group["parameters"]}["rds.force_ssl"] == "1"
    assert inputs["dbClusterParameterGroupName"] == group["name"]
    assert {g["inputs"]["name"] for g in resources(run, TYPES["log_group"])} == {
        "RDSOSMetrics",  # enhanced monitoring's group, declared before the cluster's instances report
        f"/aws/rds/cluster/{inputs['clusterIdentifier']}/postgresql",
    }


def test_aurora_multi_az_means_a_reader_in_another_az(aurora):
    env, run = aurora
    instances = sorted(resources(run, TYPES["cluster_instance"]), key=lambda r: r["inputs"]["identifier"])
    assert len(instances) == (2 if EXPECTED[env]["multi_az"] else 1)
    cluster_id = one(run, TYPES["cluster"])["inputs"]["clusterIdentifier"]
    for index, instance in enumerate(instances, start=1):
        inputs = instance["inputs"]
        assert inputs["identifier"] == f"{cluster_id}-{index}"
        assert inputs["clusterIdentifier"] == cluster_id
        assert inputs["promotionTier"] == index - 1
        assert inputs["instanceClass"] == "db.serverless"
        assert inputs["performanceInsightsEnabled"] is True
        assert inputs["performanceInsightsKmsKeyId"] == key_arn(run)
        assert inputs["autoMinorVersionUpgrade"] is True
        assert inputs["publiclyAccessible"] is False
        assert inputs["monitoringInterval"] == (15 if env == "prod" else 60)
        assert inputs["monitoringRoleArn"].endswith(f":role/rds-monitoring-{env}-{EXPECTED[env]['suffix']}")
        assert instance["protect"] is EXPECTED[env]["protect"]


def test_aurora_proxy_targets_the_cluster_and_the_contract_is_unchanged(aurora):
    _, run = aurora
    cluster = one(run, TYPES["cluster"])
    target = one(run, TYPES["target"])["inputs"]
    assert target["dbClusterIdentifier"] == cluster["inputs"]["clusterIdentifier"]
    assert "dbInstanceIdentifier" not in target
    secret = cluster["outputs"]["masterUserSecrets"][0]["secretArn"]
    assert one(run, TYPES["proxy"])["inputs"]["auths"][0]["secretArn"] == secret
    assert one(run, TYPES["rotation"])["inputs"]["secretId"] == secret
    assert run.outputs["databaseEngine"] == "aurora-postgresql"
    assert run.outputs["databaseIdentifier"] == cluster["inputs"]["clusterIdentifier"]
    assert run.outputs["databaseEndpoint"] == cluster["outputs"]["endpoint"]
    assert run.outputs["databaseSecretArn"] == secret


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_dr_is_off_by_default(env):
    layer = data_layer(env)
    assert layer["outputs"]["drRegion"] is None
    assert resources(layer, TYPES["replication"]) == []
    assert resources(layer, TYPES["backup_replication"]) == []
    assert len(resources(layer, TYPES["key"])) == 1
    assert len(resources(layer, TYPES["bucket"])) == 3  # audit, ALB logs, their access logs


@pytest.fixture(scope="module")
def prod_with_dr():
    return run_layer("data", "prod", dr_on("us-west-2"))


def test_dr_replicates_automated_backups_to_the_dr_region_with_a_key_there(prod_with_dr):
    run = prod_with_dr
    assert run.outputs["drRegion"] == "us-west-2"
    dr_key = named(run, "key", "dr-key-key")
    assert dr_key["inputs"]["region"] == "us-west-2"
    assert dr_key["inputs"]["enableKeyRotation"] is True
    dr_policy = policy_of(dr_key)
    assert (
        "rds.us-west-2.amazonaws.com"
        in statement(dr_policy, "UseOnlyThroughNamedServices")["Condition"]["StringEquals"]["kms:ViaService"]
    )
    backups = one(run, TYPES["backup_replication"])["inputs"]
    assert backups["region"] == "us-west-2"
    assert backups["sourceDbInstanceArn"] == one(run, TYPES["instance"])["outputs"]["arn"]
    assert backups["kmsKeyId"] == dr_key["outputs"]["arn"]
    assert backups["retentionPeriod"] == EXPECTED["prod"]["backup_days"]


def test_dr_replicates_the_audit_trail_but_not_its_deletes(prod_with_dr):
    run = prod_with_dr
    buckets = by_name(run, "bucket")
    source, replica = buckets["audit-bucket"], buckets["dr-audit-bucket"]
    assert replica["inputs"]["region"] == "us-west-2"
    assert replica["inputs"]["bucket"] == f"audit-dr-prod-p01-{ACCOUNT}-us-west-2"
    assert replica["protect"] is True and replica["inputs"]["forceDestroy"] is False  # protected: never emptied
    dr_key_arn = named(run, "key", "dr-key-key")["outputs"]["arn"]
    (rule,) = named(run, "encryption", "dr-audit-encryption")["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == dr_key_arn
    assert named(run, "versioning", "dr-audit-versioning")["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    expiry = named(run, "lifecycle", "dr-audit-lifecycle")["inputs"]["rules"][0]["expiration"]
    assert expiry == {"days": EXPECTED["prod"]["expire_days"]}
    replication = one(run, TYPES["replication"])
    assert replication["inputs"]["bucket"] == source["inputs"]["bucket"]
    (rule,) = replication["inputs"]["rules"]
    assert rule["status"] == "Enabled"
    assert rule["deleteMarkerReplication"] == {"status": "Disabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"]["bucket"] == replica["outputs"]["arn"]
    assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": dr_key_arn}
    # replication waits for versioning on both sides
    versioning = {named(run, "versioning", n)["urn"] for n in ("audit-versioning", "dr-audit-versioning")}
    assert versioning <= set(replication["dependencies"])
    role = named(run, "role", "dr-replication-role")
    assert replication["inputs"]["role"] == role["outputs"]["arn"]
    policy = policy_of(named(run, "role_policy", "dr-replication-role-policy"))
    decrypt = statement(policy, "DecryptSource")
    assert decrypt["Resource"] == key_arn(run)
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    encrypt = statement(policy, "EncryptReplicas")
    assert encrypt["Resource"] == dr_key_arn
    assert encrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    write = statement(policy, "WriteReplicas")
    assert "s3:ReplicateDelete" not in write["Action"]
    assert write["Resource"] == f"{replica['outputs']['arn']}/*"

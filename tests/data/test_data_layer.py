"""The data layer of every environment, as `make plan` declares it: the designed values and the layer's guarantees."""

import json

import pytest

from data.database import ENHANCED_MONITORING_LOG_GROUP, LOG_EXPORTS, PARAMETERS
from data.function_secrets import KEY_HASH_LENGTH
from data.proxy import LEDGER_WRITER_USERNAME
from payments.storage_schema import IDEMPOTENCY_TABLE, MERCHANTS_TABLE, MERCHANTS_TABLE_TYPE, TRANSACTIONS_TABLE
from shared.contracts import DATA
from shared.environments import ENVIRONMENTS
from tests.data.common import (
    ACCOUNT,
    EXPECTED,
    TYPES,
    by_name,
    data_layer,
    key_arn,
    named,
    networking_outputs,
    policy_of,
    statement,
)
from tests.support import one, resources


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_postgres_instance_matches_the_environment_table(env):
    expected, layer = EXPECTED[env], data_layer(env)
    db = one(layer, TYPES["instance"])["inputs"]
    assert db["identifier"] == f"postgres-{env}-{expected['suffix']}"
    assert db["engine"] == "postgres"
    assert db["engineVersion"] == "14"
    assert db["instanceClass"] == expected["instance_class"]
    assert db["multiAz"] is expected["multi_az"]
    assert db["backupRetentionPeriod"] == expected["backup_days"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_postgres_is_private_encrypted_audited_and_cleanly_destroyable(env):
    layer, net = data_layer(env), networking_outputs(env)
    key = key_arn(layer)
    db = one(layer, TYPES["instance"])["inputs"]
    # placement: the networking layer's private subnets and database security group
    subnets = one(layer, TYPES["subnet_group"])["inputs"]
    assert subnets["subnetIds"] == net["privateSubnetIds"]
    assert db["dbSubnetGroupName"] == subnets["name"]
    assert db["vpcSecurityGroupIds"] == [net["databaseSecurityGroupId"]]
    assert db["publiclyAccessible"] is False
    # encryption with the data key: storage, Performance Insights, the managed master secret
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == key
    assert db["performanceInsightsEnabled"] is True and db["performanceInsightsKmsKeyId"] == key
    assert db["manageMasterUserPassword"] is True and db["masterUserSecretKmsKeyId"] == key
    assert "password" not in db
    # access and audit
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    # maintenance and teardown
    assert db["autoMinorVersionUpgrade"] is True
    assert db["allowMajorVersionUpgrade"] is False
    assert db["copyTagsToSnapshot"] is True
    assert db["deletionProtection"] is EXPECTED[env]["protect"]  # AWS-side too, where protected
    assert db["skipFinalSnapshot"] is True
    # prod's automated backups outlive the database (they expire on their own: no manual teardown step)
    assert db["deleteAutomatedBackups"] is (env != "prod")
    assert db["monitoringInterval"] == (15 if env == "prod" else 60)
    assert db["monitoringRoleArn"].endswith(f":role/rds-monitoring-{env}-{EXPECTED[env]['suffix']}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_parameter_group_forces_tls(env):
    layer = data_layer(env)
    group = one(layer, TYPES["parameter_group"])["inputs"]
    assert group["family"] == "postgres14"
    params = {p["name"]: p["value"] for p in group["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert params == PARAMETERS
    assert one(layer, TYPES["instance"])["inputs"]["parameterGroupName"] == group["name"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_exported_logs_land_in_encrypted_groups_with_the_platform_retention(env):
    expected, layer = EXPECTED[env], data_layer(env)
    identifier = one(layer, TYPES["instance"])["inputs"]["identifier"]
    groups = {g["inputs"]["name"]: g for g in resources(layer, TYPES["log_group"])}
    exports = {f"/aws/rds/instance/{identifier}/{log}" for log in LOG_EXPORTS["postgres"]}
    assert set(groups) == {*exports, ENHANCED_MONITORING_LOG_GROUP}  # each environment owns its region's
    for group in groups.values():
        assert group["inputs"]["retentionInDays"] == expected["log_retention"]
        assert group["inputs"]["kmsKeyId"] == key_arn(layer)
    # the database waits for its log groups, so RDS never creates unencrypted ones first
    instance = one(layer, TYPES["instance"])
    assert {g["urn"] for g in groups.values()} <= set(instance["dependencies"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_master_secret_rotates_every_30_days(env):
    layer = data_layer(env)
    secret_arn = one(layer, TYPES["instance"])["outputs"]["masterUserSecrets"][0]["secretArn"]
    rotation = one(layer, TYPES["rotation"])["inputs"]
    assert rotation["secretId"] == secret_arn
    assert rotation["rotationRules"] == {"automaticallyAfterDays": 30}
    assert rotation["rotateImmediately"] is False
    assert "rotationLambdaArn" not in rotation  # RDS rotates its own managed secret
    assert layer["outputs"]["databaseSecretArn"] == secret_arn


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_proxy_requires_tls_and_signs_the_ledger_writer_in_with_iam(env):
    layer, net = data_layer(env), networking_outputs(env)
    proxy = one(layer, TYPES["proxy"])
    inputs = proxy["inputs"]
    secret_arn = layer["outputs"]["databaseSecretArn"]
    assert inputs["name"] == f"db-proxy-{env}-{EXPECTED[env]['suffix']}"
    assert inputs["engineFamily"] == "POSTGRESQL"
    assert inputs["requireTls"] is True
    assert inputs["debugLogging"] is False
    assert inputs["vpcSubnetIds"] == net["privateSubnetIds"]
    assert inputs["vpcSecurityGroupIds"] == [net["proxySecurityGroupId"]]
    # IAM end to end for every user without a registered secret: the ledger writer has no password anywhere
    assert inputs["defaultAuthScheme"] == "IAM_AUTH"
    # the one registered secret: the master's, kept and rotated by RDS (the owner: the migration step)
    (auth,) = inputs["auths"]
    assert (auth["secretArn"], auth["authScheme"], auth["iamAuth"]) == (secret_arn, "SECRETS", "DISABLED")
    assert auth["clientPasswordAuthType"] == "POSTGRES_SCRAM_SHA_256"
    assert not by_name(layer, "secret") and "function-secrets-ledger-writer-password" not in by_name(
        layer, "random_password"
    )
    # the database accepts IAM tokens
    assert one(layer, TYPES["instance"])["inputs"]["iamDatabaseAuthenticationEnabled"] is True
    # the worker's one database grant: the writer at this proxy (prx-... is the last field of the proxy's ARN)
    proxy_id = proxy["outputs"]["arn"].rsplit(":", 1)[-1]
    region = EXPECTED[env]["region"]
    assert layer["outputs"]["ledgerWriterUsername"] == LEDGER_WRITER_USERNAME == "payments_ledger_writer"
    assert layer["outputs"]["ledgerWriterConnectArn"] == (
        f"arn:aws:rds-db:{region}:{ACCOUNT}:dbuser:{proxy_id}/{LEDGER_WRITER_USERNAME}"
    )
    # its role may read exactly the owner's secret, decrypt it only through Secrets Manager, and sign in to the
    # database as the writer (the database's resource id names it to IAM)
    role = named(layer, "role", "db-proxy-role")
    assert inputs["roleArn"] == role["outputs"]["arn"]
    trust = policy_of({"inputs": {"policy": role["inputs"]["assumeRolePolicy"]}})["Statement"][0]
    assert trust["Principal"] == {"Service": "rds.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    policy = policy_of(named(layer, "role_policy", "db-proxy-role-policy"))
    read = statement(policy, "ReadOwnerSecret")
    assert read["Resource"] == secret_arn
    assert set(read["Action"]) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    resource_id = one(layer, TYPES["instance"])["outputs"]["resourceId"]
    connect = statement(policy, "ConnectAsLedgerWriter")
    assert connect["Action"] == "rds-db:connect"
    assert connect["Resource"] == f"arn:aws:rds-db:{region}:{ACCOUNT}:dbuser:{resource_id}/{LEDGER_WRITER_USERNAME}"
    decrypt = statement(policy, "DecryptOwnerSecret")
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == key_arn(layer)
    via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == f"secretsmanager.{EXPECTED[env]['region']}.amazonaws.com"
    # default target group pointing at the instance
    target = one(layer, TYPES["target"])["inputs"]
    assert target["dbProxyName"] == inputs["name"]
    assert target["targetGroupName"] == "default"
    assert target["dbInstanceIdentifier"] == one(layer, TYPES["instance"])["inputs"]["identifier"]
    assert one(layer, TYPES["target_group"])["inputs"]["dbProxyName"] == inputs["name"]
    assert layer["outputs"]["proxyEndpoint"] == proxy["outputs"]["endpoint"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tables_follow_the_functions_schema_on_demand_encrypted_with_pitr_per_environment(env):
    layer = data_layer(env)
    tables = by_name(layer, "table")
    schemas = {"transactions": TRANSACTIONS_TABLE, "idempotency": IDEMPOTENCY_TABLE, "merchants": MERCHANTS_TABLE}
    assert set(tables) == {f"tables-{logical}" for logical in schemas}
    for logical, schema in schemas.items():
        table = tables[f"tables-{logical}"]["inputs"]
        assert table["name"] == f"{logical}-{env}-{EXPECTED[env]['suffix']}"
        assert table["hashKey"] == schema.hash_key
        assert table["attributes"] == [{"name": schema.hash_key, "type": schema.hash_key_type}]
        assert table.get("rangeKey") == schema.range_key
        assert table["billingMode"] == "PAY_PER_REQUEST"
        assert table["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key_arn(layer)}
        assert table["pointInTimeRecovery"] == {"enabled": EXPECTED[env]["pitr"]}
        assert table["deletionProtectionEnabled"] is EXPECTED[env]["protect"]
        assert layer["outputs"][f"{logical}TableName"] == table["name"]
        assert layer["outputs"][f"{logical}TableArn"] == tables[f"tables-{logical}"]["outputs"]["arn"]
    assert tables["tables-idempotency"]["inputs"]["ttl"] == {"attributeName": "expiration", "enabled": True}
    assert IDEMPOTENCY_TABLE.ttl_attribute == "expiration"
    assert "ttl" not in tables["tables-transactions"]["inputs"]
    assert "ttl" not in tables[f"tables-{MERCHANTS_TABLE_TYPE}"]["inputs"], (
        "the deploy removes what it no longer declares"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_data_stores_are_protected_in_prod_only(env):
    layer = data_layer(env)
    stores = [
        one(layer, TYPES["instance"]),
        *resources(layer, TYPES["table"]),
        named(layer, "bucket", "audit-bucket"),
        named(layer, "bucket", "access-logs-bucket"),
        named(layer, "key", "data-key-key"),
        # the key of every derived transaction id: a new one would give a retried payment a new id
        named(layer, "random_password", "function-secrets-key-hash-key"),
        one(layer, TYPES["parameter"]),
    ]
    assert len(stores) == 9
    assert [s["protect"] for s in stores] == [EXPECTED[env]["protect"]] * 9
    # nothing else is protected, and nothing is retained on delete (clean teardown)
    others = [r for r in layer["resources"] if r["custom"] and r not in stores]
    assert not any(r["protect"] for r in others)
    assert not any(r["retainOnDelete"] for r in layer["resources"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_one_parameter_is_the_key_hash_key_a_secure_string_under_the_data_key(env):
    """Static sensitive configuration in Parameter Store: the key of the keyed hashes, generated, encrypted with
    the data key, its value a secret in state; every other setting the functions need reaches them as an
    environment variable set by the application layer from this layer's exports."""
    layer = data_layer(env)
    (parameter,) = resources(layer, TYPES["parameter"])
    inputs = parameter["inputs"]
    assert inputs["name"] == f"/key-hash-{env}-{EXPECTED[env]['suffix']}"
    assert (inputs["type"], inputs["tier"], inputs["keyId"]) == ("SecureString", "Standard", key_arn(layer))
    assert inputs["value"] == parameter["outputs"]["value"] == "[secret]"
    assert layer["outputs"]["keyHashParameterName"] == inputs["name"]
    assert layer["outputs"]["keyHashParameterArn"] == parameter["outputs"]["arn"]
    # its value reaches the application layer's deploy as a secret output, never in plain text
    assert layer["outputs"]["keyHashKey"] == "[secret]"
    assert [r["urn"] for r in layer["resources"] if r["type"].startswith("aws:ssm/")] == [parameter["urn"]]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_exports_are_exactly_the_documented_contract(env):
    layer, expected = data_layer(env), EXPECTED[env]
    outputs = layer["outputs"]
    assert set(outputs) == set(DATA.exports)
    assert outputs["environment"] == env and outputs["region"] == expected["region"]
    db = one(layer, TYPES["instance"])
    assert outputs["databaseEngine"] == "postgres"
    assert outputs["databaseIdentifier"] == db["inputs"]["identifier"]
    assert outputs["databaseEndpoint"] == db["outputs"]["address"]
    assert outputs["databasePort"] == 5432
    assert outputs["databaseName"] == db["inputs"]["dbName"] == "payments"
    assert outputs["kmsKeyArn"] == key_arn(layer)
    assert outputs["auditBucketName"] == f"audit-{env}-{expected['suffix']}-{ACCOUNT}-{expected['region']}"
    assert outputs["auditBucketArn"] == f"arn:aws:s3:::{outputs['auditBucketName']}"
    assert outputs["albLogsBucketName"] == f"alb-logs-{env}-{expected['suffix']}-{ACCOUNT}-{expected['region']}"
    assert outputs["albLogsBucketArn"] == f"arn:aws:s3:::{outputs['albLogsBucketName']}"
    assert outputs["drRegion"] is None
    assert all(DATA.exports[key].strip() for key in outputs)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_key_hash_key_is_generated_and_secret_in_state(env):
    layer = data_layer(env)
    hash_key = by_name(layer, "random_password")["function-secrets-key-hash-key"]
    assert hash_key["inputs"]["length"] == KEY_HASH_LENGTH == 64 and hash_key["inputs"]["special"] is False
    assert hash_key["outputs"]["result"] == "[secret]"


def _environment_neutral(inputs, env):
    """Inputs that are not names, ARNs or ids of this environment (those differ by construction)."""
    marks = (f"-{env}-", EXPECTED[env]["region"], "sg-", "subnet-", "arn:aws:")
    return {k: v for k, v in inputs.items() if k != "tags" and not any(m in str(v) for m in marks)}


@pytest.mark.parametrize("kind", ["instance", "proxy", "table", "lifecycle", "parameter_group"])
def test_only_declared_values_differ_between_staging_and_prod(kind):
    declared = {
        "instance": {
            "instanceClass",
            "backupRetentionPeriod",
            "deleteAutomatedBackups",
            "monitoringInterval",
            "deletionProtection",
        },
        "table": {"deletionProtectionEnabled"},
        "lifecycle": {"rules"},
    }
    staging, prod = data_layer("staging"), data_layer("prod")
    s_resources, p_resources = by_name(staging, kind), by_name(prod, kind)
    assert set(s_resources) == set(p_resources)
    for logical in s_resources:
        s = _environment_neutral(s_resources[logical]["inputs"], "staging")
        p = _environment_neutral(p_resources[logical]["inputs"], "prod")
        differing = {k for k in set(s) | set(p) if s.get(k) != p.get(k)}
        allowed = declared.get(kind, set()) if logical != "alb-logs-lifecycle" else {"rules"}
        assert differing <= allowed, f"{logical}: undeclared differences {differing - allowed}"
    if kind == "instance":
        (s,), (p,) = s_resources.values(), p_resources.values()
        assert (s["inputs"]["instanceClass"], p["inputs"]["instanceClass"]) == ("db.t3.medium", "db.r5.large")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_enhanced_monitoring_role_writes_rds_os_metrics_only(env):
    layer = data_layer(env)
    (role,) = [r for r in resources(layer, TYPES["role"]) if r["inputs"]["name"].startswith("rds-monitoring-")]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "monitoring.rds.amazonaws.com"}]
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    (policy,) = [p for p in resources(layer, TYPES["role_policy"]) if p["inputs"]["role"] == role["id"]]
    statements = json.loads(policy["inputs"]["policy"])["Statement"]
    region = EXPECTED[env]["region"]
    group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:RDSOSMetrics"
    assert {s["Sid"]: s["Resource"] for s in statements} == {
        "ManageRdsOsMetricsLogGroup": group,
        "WriteRdsOsMetricsLogStreams": f"{group}:log-stream:*",
    }
    assert all(action.startswith("logs:") and "*" not in action for s in statements for action in s["Action"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_rds_os_metrics_exists_encrypted_and_expiring_before_the_database_reports(env):
    """Enhanced monitoring would otherwise create RDSOSMetrics itself: unencrypted, kept forever."""
    layer = data_layer(env)
    group = named(layer, "log_group", "database-monitoring-logs")
    assert group["inputs"]["name"] == ENHANCED_MONITORING_LOG_GROUP == "RDSOSMetrics"
    assert group["inputs"]["retentionInDays"] == EXPECTED[env]["log_retention"]
    assert group["inputs"]["kmsKeyId"] == key_arn(layer)
    assert group["urn"] in one(layer, TYPES["instance"])["dependencies"]
    logs = statement(policy_of(named(layer, "key", "data-key-key")), "CloudWatchLogsEncrypts")
    region = EXPECTED[env]["region"]
    assert (
        f"arn:aws:logs:{region}:{ACCOUNT}:log-group:RDSOSMetrics"
        in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    )

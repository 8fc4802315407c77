"""The application layer of every environment, as `make plan` declares it: the environment table,
the functions' guarantees, the queues, the topic and the deploy-time migration."""

import base64
import hashlib
import json

import pytest

from application.artifact import lambda_artifact
from application.permissions import RESOURCELESS_ACTIONS
from payments.settings import HANDLER_ENVIRONMENT
from shared.contracts import APPLICATION
from shared.environments import ENVIRONMENTS
from shared.functions import FUNCTIONS
from tests.application.common import (
    EXPECTED,
    application_layer,
    by_name,
    function,
    named,
    role_policy,
    upstream_outputs,
)
from tests.support import one, resources


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_functions_match_the_environment_table(env):
    expected, layer = EXPECTED[env], application_layer(env)
    reserved = {"queue": expected["worker_concurrency"], "deploy": 1}
    for spec in FUNCTIONS:
        inputs = function(layer, spec.name)["inputs"]
        assert inputs["name"] == f"{spec.name}-{env}-{expected['suffix']}"
        assert inputs["memorySize"] == expected["memory"], spec.name
        concurrency = expected["api_concurrency"] if spec.api_facing else reserved[spec.invoked_by]
        assert inputs["reservedConcurrentExecutions"] == concurrency, spec.name
    worker = function(layer, "settlement-worker")["inputs"]
    assert worker["reservedConcurrentExecutions"] == expected["worker_concurrency"]
    assert function(layer, "migrate-ledger")["inputs"]["reservedConcurrentExecutions"] == 1


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_is_arm64_python311_traced_private_and_encrypted(env):
    layer, data = application_layer(env), upstream_outputs(env, "data")
    networking = upstream_outputs(env, "networking")
    lambda_dlq = named(layer, "queue", "queues-lambda-dlq")["outputs"]["arn"]
    for spec in FUNCTIONS:
        name, inputs = spec.name, function(layer, spec.name)["inputs"]
        assert inputs["runtime"] == "python3.11", name
        assert inputs["architectures"] == ["arm64"], name  # a list, not the string mocks also accept
        assert inputs["handler"] == spec.handler
        assert inputs["description"] == spec.description
        assert inputs["tracingConfig"] == {"mode": "Active"}
        assert inputs["vpcConfig"]["subnetIds"] == networking["privateSubnetIds"]
        assert inputs["vpcConfig"]["securityGroupIds"] == [networking["lambdaSecurityGroupId"]]
        assert inputs["kmsKeyArn"] == data["kmsKeyArn"]
        assert inputs["deadLetterConfig"] == {"targetArn": lambda_dlq}
        assert inputs["timeout"] == spec.timeout_seconds <= (29 if spec.api_facing else 900)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_logs_are_json_into_precreated_encrypted_groups_with_the_platform_retention(env):
    expected, layer, data = EXPECTED[env], application_layer(env), upstream_outputs(env, "data")
    exported = layer["outputs"]["lambdaLogGroupNames"]
    for name in (spec.name for spec in FUNCTIONS):
        record = function(layer, name)
        group = named(layer, "log_group", f"{name}-logs")
        assert group["inputs"]["name"] == f"/aws/lambda/{record['inputs']['name']}"
        assert group["inputs"]["kmsKeyId"] == data["kmsKeyArn"]
        assert group["inputs"]["retentionInDays"] == expected["log_retention"]
        logging = record["inputs"]["loggingConfig"]
        assert logging["logFormat"] == "JSON" and logging["logGroup"] == group["inputs"]["name"]
        # the function waits for its log group and for the role policy Lambda checks at create time
        assert {group["urn"], named(layer, "role_policy", f"{name}-role-policy")["urn"]} <= set(record["dependencies"])
        assert group["inputs"]["name"] in exported.values()


def test_every_function_runs_the_fresh_artifact_and_the_plan_exports_its_sha256():
    artifact = lambda_artifact()
    digest = hashlib.sha256(artifact.path.read_bytes())
    layer = application_layer("dev")
    assert layer["outputs"]["artifactSha256"] == digest.hexdigest()
    for name in (spec.name for spec in FUNCTIONS):
        inputs = function(layer, name)["inputs"]
        assert inputs["sourceCodeHash"] == base64.b64encode(digest.digest()).decode()
        assert inputs["code"] == "build/lambda/payments.zip"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_payment_queue_redrives_to_its_dlq_after_the_configured_deliveries(env):
    expected, layer, data = EXPECTED[env], application_layer(env), upstream_outputs(env, "data")
    queue = named(layer, "queue", "queues-payment")
    dlq = named(layer, "queue", "queues-payment-dlq")
    assert json.loads(queue["inputs"]["redrivePolicy"]) == {
        "deadLetterTargetArn": dlq["outputs"]["arn"],
        "maxReceiveCount": expected["max_receive_count"],
    }
    assert queue["inputs"]["visibilityTimeoutSeconds"] >= 6 * function(layer, "settlement-worker")["inputs"]["timeout"]
    for record in resources(layer, "aws:sqs/queue:Queue"):
        assert record["inputs"]["kmsMasterKeyId"] == data["kmsKeyArn"], record["urn"]
        assert "sqsManagedSseEnabled" not in record["inputs"]
    allow = one(layer, "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")["inputs"]
    assert allow["queueUrl"] == dlq["outputs"]["url"]
    assert json.loads(allow["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [queue["outputs"]["arn"]],
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_worker_consumes_the_queue_in_batches_with_partial_failures(env):
    expected, layer = EXPECTED[env], application_layer(env)
    mapping = one(layer, "aws:lambda/eventSourceMapping:EventSourceMapping")
    inputs = mapping["inputs"]
    assert inputs["eventSourceArn"] == named(layer, "queue", "queues-payment")["outputs"]["arn"]
    assert inputs["functionName"] == function(layer, "settlement-worker")["inputs"]["name"]
    assert inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert inputs["batchSize"] == 10 and inputs["maximumBatchingWindowInSeconds"] == 1
    assert inputs["scalingConfig"] == {"maximumConcurrency": expected["queue_concurrency"]}
    worker = function(layer, "settlement-worker")["inputs"]
    assert 2 <= inputs["scalingConfig"]["maximumConcurrency"] <= worker["reservedConcurrentExecutions"]
    # no message is consumed before the ledger migration of this artifact has run
    assert one(layer, "aws:lambda/invocation:Invocation")["urn"] in mapping["dependencies"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_migration_runs_once_per_artifact(env):
    layer = application_layer(env)
    invocation = one(layer, "aws:lambda/invocation:Invocation")["inputs"]
    assert invocation["functionName"] == function(layer, "migrate-ledger")["inputs"]["name"]
    assert invocation["triggers"] == {"artifactSha256": layer["outputs"]["artifactSha256"]}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_topic_is_encrypted_subscribed_and_only_the_worker_publishes(env):
    expected, layer, data = EXPECTED[env], application_layer(env), upstream_outputs(env, "data")
    topic = one(layer, "aws:sns/topic:Topic")
    assert topic["inputs"]["kmsMasterKeyId"] == data["kmsKeyArn"]
    subscriptions = resources(layer, "aws:sns/topicSubscription:TopicSubscription")
    assert [s["inputs"]["endpoint"] for s in subscriptions] == expected["emails"]
    assert all(s["inputs"]["protocol"] == "email" for s in subscriptions)
    assert all(s["outputs"]["pendingConfirmation"] is True for s in subscriptions)
    policy = json.loads(one(layer, "aws:sns/topicPolicy:TopicPolicy")["inputs"]["policy"])
    worker_role = named(layer, "role", "settlement-worker-role")["outputs"]["arn"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    allow, deny = statements["SettlementWorkerPublishes"], statements["NobodyElsePublishes"]
    assert allow["Condition"] == {"ArnEquals": {"aws:PrincipalArn": worker_role}}
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": worker_role}}
    assert allow["Resource"] == deny["Resource"] == topic["outputs"]["arn"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_variables_are_exactly_what_each_handler_reads(env):
    layer, data = application_layer(env), upstream_outputs(env, "data")
    for spec in FUNCTIONS:
        variables = function(layer, spec.name)["inputs"]["environment"]["variables"]
        assert set(variables) <= set(HANDLER_ENVIRONMENT[spec.handler]), spec.name
    process = function(layer, "process-payment")["inputs"]["environment"]["variables"]
    worker = function(layer, "settlement-worker")["inputs"]["environment"]["variables"]
    assert process["TRANSACTIONS_TABLE_NAME"] == data["transactionsTableName"]
    assert process["IDEMPOTENCY_TABLE_NAME"] == data["idempotencyTableName"]
    assert process["PAYMENT_QUEUE_URL"] == named(layer, "queue", "queues-payment")["outputs"]["url"]
    assert worker["NOTIFICATION_TOPIC_ARN"] == one(layer, "aws:sns/topic:Topic")["outputs"]["arn"]
    assert worker["AUDIT_BUCKET_NAME"] == data["auditBucketName"]
    assert worker["DB_WRITER_USER"] == data["ledgerWriterUsername"]  # signs in with IAM: no secret, never the owner's
    assert not {name for name in worker if "SECRET" in name}
    assert worker["DB_PROXY_ENDPOINT"] == data["proxyEndpoint"]
    assert (worker["DB_PORT"], worker["DB_NAME"]) == ("5432", data["databaseName"])
    assert worker["POWERTOOLS_SERVICE_NAME"] == layer["outputs"]["metricsServiceName"] == "payments"
    assert worker["POWERTOOLS_METRICS_NAMESPACE"] == layer["outputs"]["metricsNamespace"] == "Payments"
    assert "PAYMENT_QUEUE_URL" not in worker and not {name for name in process if name.startswith("DB_")}
    assert process["KEY_HASH_PARAMETER_NAME"] == data["keyHashParameterName"]
    verify = function(layer, "verify-payment")["inputs"]["environment"]["variables"]
    assert process["MERCHANTS_TABLE_NAME"] == verify["MERCHANTS_TABLE_NAME"] == data["merchantsTableName"]
    assert "KEY_HASH_PARAMETER_NAME" not in verify, "verify-payment derives no id"
    migration = function(layer, "migrate-ledger")["inputs"]["environment"]["variables"]
    assert migration["DB_OWNER_SECRET_ARN"] == data["databaseSecretArn"]
    assert migration["DB_WRITER_USER"] == data["ledgerWriterUsername"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_role_names_exact_arns_except_the_allow_listed_actions(env):
    layer = application_layer(env)
    resourceless = {action for actions in RESOURCELESS_ACTIONS.values() for action in actions}
    for name in (spec.name for spec in FUNCTIONS):
        for statement in role_policy(layer, name)["Statement"]:
            actions = statement["Action"]
            if statement["Resource"] == "*":
                assert set(actions) <= resourceless, (name, statement["Sid"])
                continue
            for resource in statement["Resource"]:
                assert resource.startswith("arn:aws:") and "*" not in resource.removesuffix(":*").removesuffix(
                    "/settlements/*"
                ), (name, resource)
        trust = json.loads(named(layer, "role", f"{name}-role")["inputs"]["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_each_role_reaches_only_its_own_resources():
    layer, data = application_layer("prod"), upstream_outputs("prod", "data")

    def granted(name: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for statement in role_policy(layer, name)["Statement"]:
            for resource in statement["Resource"] if statement["Resource"] != "*" else []:
                found.setdefault(resource, set()).update(statement["Action"])
        return found

    queue = named(layer, "queue", "queues-payment")["outputs"]["arn"]
    topic = one(layer, "aws:sns/topic:Topic")["outputs"]["arn"]
    process, verify, worker = granted("process-payment"), granted("verify-payment"), granted("settlement-worker")
    assert process[queue] == {"sqs:SendMessage"}
    assert verify[data["transactionsTableArn"]] == {"dynamodb:GetItem"}
    assert data["idempotencyTableArn"] not in verify and data["idempotencyTableArn"] not in worker
    assert worker[topic] == {"sns:Publish"} and topic not in process
    assert worker[f"{data['auditBucketArn']}/settlements/*"] == {"s3:PutObject"}
    assert worker[data["ledgerWriterConnectArn"]] == {"rds-db:connect"}  # the writer at the proxy, nobody else
    assert [resource for resource in worker if resource.startswith("arn:aws:secretsmanager:")] == []
    assert all(data["databaseSecretArn"] not in grants for grants in (process, verify, worker))
    assert process[data["keyHashParameterArn"]] == {"ssm:GetParameter"}
    assert data["keyHashParameterArn"] not in verify and data["keyHashParameterArn"] not in worker
    assert process[data["merchantsTableArn"]] == verify[data["merchantsTableArn"]] == {"dynamodb:GetItem"}
    assert data["merchantsTableArn"] not in worker
    migrate = granted("migrate-ledger")
    assert migrate[data["databaseSecretArn"]] == {"secretsmanager:GetSecretValue"}
    assert [resource for resource in migrate if resource.startswith("arn:aws:rds-db:")] == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_exports_are_exactly_the_documented_contract(env):
    layer = application_layer(env)
    outputs = layer["outputs"]
    assert set(outputs) == set(APPLICATION.exports)
    functions = by_name(layer, "function")
    for key, name in {"processPayment": "process-payment", "settlementWorker": "settlement-worker"}.items():
        assert outputs[f"{key}FunctionName"] == functions[f"{name}-function"]["inputs"]["name"]
        assert outputs[f"{key}FunctionArn"] == functions[f"{name}-function"]["outputs"]["arn"]
    assert outputs["paymentQueueUrl"] == named(layer, "queue", "queues-payment")["outputs"]["url"]
    assert outputs["paymentDlqName"] == f"payment-dlq-{env}-{EXPECTED[env]['suffix']}"
    assert len(outputs["artifactSha256"]) == 64

"""The dev plan brought to life: names, variables, schema and settings agree across the layers.

From the dev plan JSON (`tests.support.planned("dev")`, what `make plan` writes to
build/plan/dev.json), the tables, queues (redrive policy included), topic, audit bucket and
secrets are created on moto with the names and settings the plan gives; the ledger is a real
PostgreSQL. The migration handler, then the real handlers, run with exactly the environment
variables the plan gives each function. Only what cannot exist offline is substituted
(`tests/application/plan_world.py`): the secrets' ARNs (AWS adds a random suffix to a secret's
name, so the plan holds placeholders: the secrets are created under the plan's names and the
functions get their moto ARNs), the RDS Proxy endpoint and port (the local PostgreSQL), and the CA
bundle (the test CA that signed the local server's certificate). Requests pass the plan's API
Gateway checks first (API key, required parameters, the body model as JSON Schema draft 4).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from testkit.aws_support import reset_moto
from testkit.pg_server import APP_DATABASE, APP_USER, PostgresServer
from tests.application.plan_world import PlanWorld, build_world, planned_variables
from tests.support import layer_of, planned

pytestmark = pytest.mark.postgres

ENV = "dev"
SECRET_VARIABLES = {"DB_OWNER_SECRET_ARN"}  # the settlement worker signs in with IAM: it reads no secret
DATABASE_VARIABLES = {"DB_PROXY_ENDPOINT", "DB_PORT", "DB_CA_BUNDLE_PATH"}


@pytest.fixture
def world(moto_endpoint: str, postgres: PostgresServer) -> Iterator[PlanWorld]:
    reset_moto(moto_endpoint)
    built = build_world(planned(ENV), postgres)
    with built.running_as("migrate-ledger"):
        result = built.invoke("migrate-ledger", {})
    assert result["writer_role"]
    yield built


def _payment(world: PlanWorld, merchant: str, key: str, body: dict[str, Any] | str) -> Any:
    return world.call_api(
        "POST",
        "/process-payment",
        api_key_id=world.api_key_ids()[merchant],
        body=body if isinstance(body, str) else json.dumps(body),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )


def _drain_worker(world: PlanWorld) -> list[int]:
    sqs = world.clients["sqs"]
    sizes = []
    with world.running_as("settlement-worker"):  # one warm execution environment
        while (delivered := world.deliver(sqs))[0]:
            sizes.append(delivered[0])
            assert delivered[1] == [], "no message of a valid payment fails"
    return sizes


def _ledger(postgres: PostgresServer) -> dict[str, tuple[int, str, str]]:
    connection = postgres.connect(APP_DATABASE, APP_USER)
    try:
        rows = connection.run(
            "SELECT CAST(transaction_id AS text), amount_minor, currency, merchant_id FROM ledger_entries"
        )
    finally:
        connection.close()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_only_what_cannot_exist_offline_is_substituted(world: PlanWorld):
    for function, substituted in world.substituted.items():
        assert set(substituted) <= SECRET_VARIABLES | DATABASE_VARIABLES, function
        planned_names = set(planned_variables(world.plan, function))
        assert set(world.variables[function]) - planned_names <= {"DB_CA_BUNDLE_PATH"}, function
        for name in substituted.keys() & SECRET_VARIABLES:
            planned_arn, local_arn = substituted[name]
            assert planned_arn is not None and planned_arn.rsplit("-", 1)[0] == local_arn.rsplit("-", 1)[0]
    worker = world.variables["settlement-worker"]
    data = layer_of(world.plan, "data")["outputs"]
    assert worker["TRANSACTIONS_TABLE_NAME"] == data["transactionsTableName"]  # names are the plan's, unchanged
    assert world.variables["process-payment"]["PAYMENT_QUEUE_URL"] == world.planned_queue_url()


def test_a_payment_travels_from_the_api_to_the_ledger_as_planned(world: PlanWorld, postgres: PostgresServer):
    batch_size = world.batch_size()
    count = batch_size + 2  # two deliveries: a full batch and the rest
    merchants = sorted(world.api_key_ids())

    accepted: dict[str, tuple[str, int]] = {}
    for number in range(count):
        merchant = merchants[number % len(merchants)]
        body = {"amount_minor": 1000 + number, "currency": "EUR", "payment_method_token": f"pm_tok_{number:08d}"}
        response = _payment(world, merchant, f"order-{number:04d}-attempt-1", body)
        assert (response.status, response.body["status"]) == (202, "PENDING"), response
        accepted[response.body["transaction_id"]] = (merchant, 1000 + number)

    assert _drain_worker(world) == [batch_size, count - batch_size]

    ledger = _ledger(postgres)
    for transaction_id, (merchant, amount) in accepted.items():
        assert ledger[transaction_id] == (amount, "EUR", merchant)
        verified = world.call_api(
            "GET", "/verify-payment", api_key_id=world.api_key_ids()[merchant], query={"transaction_id": transaction_id}
        )
        assert (verified.status, verified.body["status"]) == (200, "SETTLED"), verified

    sqs, s3 = world.clients["sqs"], world.clients["s3"]
    notifications = []
    while batch := sqs.receive_message(QueueUrl=world.observer_queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            notifications.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=world.observer_queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(n["transaction_id"] for n in notifications) == sorted(accepted)
    assert {n["status"] for n in notifications} == {"SETTLED"}

    bucket = world.variables["settlement-worker"]["AUDIT_BUCKET_NAME"]
    objects = s3.list_objects_v2(Bucket=bucket, Prefix="settlements/")["Contents"]
    records = [
        json.loads(line)
        for o in objects
        for line in s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().splitlines()
    ]
    assert sorted(record["transaction_id"] for record in records) == sorted(accepted)  # a line per transaction
    assert {record["status"] for record in records} == {"SETTLED"}
    head = s3.head_object(Bucket=bucket, Key=objects[0]["Key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == world.variables["settlement-worker"]["AUDIT_KMS_KEY_ARN"]


@pytest.mark.parametrize(
    "body",
    [
        {"amount_minor": "1000", "currency": "EUR", "payment_method_token": "pm_tok_abcdefgh"},  # a string amount
        {"amount_minor": 1000, "currency": "EUR"},  # no token
        {"amount_minor": 1000, "currency": "EUR", "payment_method_token": "pm_tok_abcdefgh", "cvv": "123"},  # unknown
        "not json",
    ],
    ids=["string-amount", "missing-token", "unknown-field", "not-json"],
)
def test_a_request_the_plans_model_rejects_never_reaches_the_handler(world: PlanWorld, body: Any):
    response = _payment(world, sorted(world.api_key_ids())[0], "order-0001-attempt-1", body)
    assert response.status == 400 and response.body["error"]["code"] == "VALIDATION_FAILED"
    assert not response.reached_function and world.invocations.get("process-payment", 0) == 0


def test_requests_without_a_planned_key_or_parameter_never_reach_the_handlers(world: PlanWorld):
    body = {"amount_minor": 1000, "currency": "EUR", "payment_method_token": "pm_tok_abcdefgh"}
    refused = world.call_api(
        "POST",
        "/process-payment",
        api_key_id="not-a-planned-key",
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "Idempotency-Key": "order-0001-attempt-1"},
    )
    assert (refused.status, refused.body["error"]["code"]) == (403, "API_KEY_INVALID")
    missing = world.call_api("GET", "/verify-payment", api_key_id=sorted(world.api_key_ids().values())[0], query={})
    assert missing.status == 400 and not missing.reached_function
    assert world.invocations == {"migrate-ledger": 1}


def test_a_message_that_keeps_failing_lands_in_the_dlq_after_the_planned_receive_count(world: PlanWorld):
    max_receive_count = world.max_receive_count()
    assert max_receive_count == 2  # dev (application:maxReceiveCount)
    unknown = json.dumps({"transaction_id": str(uuid.uuid4())})  # a transaction nobody recorded
    sqs = world.clients["sqs"]
    sqs.send_message(QueueUrl=world.queue_url, MessageBody=unknown)
    failures = 0
    with world.running_as("settlement-worker"):
        for _ in range(max_receive_count + 1):
            received, failed = world.deliver(sqs)
            if not received:
                break
            assert len(failed) == 1
            failures += 1
            world.let_visibility_timeout_pass(failed)
    assert failures == max_receive_count
    dead = sqs.receive_message(QueueUrl=world.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == [unknown]

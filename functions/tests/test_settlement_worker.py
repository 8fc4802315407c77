"""The settlement worker against real PostgreSQL (TLS verify-full) and moto SQS/DynamoDB/SNS/S3."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from payment_support import VALID_BODY, submit
from settlement_support import deliver, drain, ledger_rows, notifications, postgres_stopped_later, statuses

from payments import execution_environment, settlement
from payments.handlers import verify_payment
from testkit.aws_support import MAX_RECEIVE_COUNT, AwsResources
from testkit.lambda_support import FakeLambdaContext, api_event, body_of, queue_depth
from testkit.pg_server import PostgresServer


def _metrics_emitted(capfd: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format documents printed to stdout so far."""
    return [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith('{"_aws"')]


def _carrying(documents: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [document for document in documents if metric in document]


def _pay(index: int = 0) -> str:
    response = submit({**VALID_BODY, "amount_minor": 1000 + index}, key=f"settle-{uuid.uuid4()}")
    assert response["statusCode"] == 202
    return str(body_of(response)["transaction_id"])


def test_settles_a_payment_end_to_end(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, capfd: pytest.CaptureFixture[str]
) -> None:
    transaction_id = _pay()

    delivery = deliver(aws)

    assert (delivery.received, delivery.failed_message_ids) == (1, [])
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 0
    ((ledger_id, amount, currency, merchant, notified_at),) = ledger_rows(postgres, [transaction_id])
    assert (ledger_id, amount, currency, merchant) == (transaction_id, 1000, "USD", "merchant-001")
    assert notified_at is not None
    verified = body_of(
        verify_payment.handler(
            api_event("GET", "/verify-payment", query={"transaction_id": transaction_id}), FakeLambdaContext()
        )
    )
    assert verified["status"] == "SETTLED"
    assert verified["settled_at"] is not None
    (notification,) = notifications(aws)
    assert notification["transaction_id"] == transaction_id
    assert notification["status"] == "SETTLED"
    s3 = aws.client("s3")
    (audit_object,) = s3.list_objects_v2(Bucket=aws.bucket)["Contents"]
    assert audit_object["Key"].startswith("settlements/") and audit_object["Key"].endswith(".jsonl")
    stored = s3.get_object(Bucket=aws.bucket, Key=audit_object["Key"])
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"] == aws.kms_key_arn
    (audit,) = [json.loads(line) for line in stored["Body"].read().splitlines()]
    assert audit["transaction_id"] == transaction_id
    assert audit["amount_minor"] == 1000
    assert datetime.fromisoformat(audit["settled_at"]) == datetime.fromisoformat(verified["settled_at"])
    latency = _carrying(_metrics_emitted(capfd), "TransactionLatency")
    assert len(latency) == 1, "the worker must emit the TransactionLatency metric once"
    definition = latency[0]["_aws"]["CloudWatchMetrics"][0]
    assert definition["Namespace"] == "Payments"
    assert {"Name": "TransactionLatency", "Unit": "Milliseconds"} in definition["Metrics"]


def test_redelivered_message_writes_nothing_twice(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    transaction_id = _pay()
    assert [delivery.failed_message_ids for delivery in drain(aws)] == [[]]
    settled_before = statuses(aws)
    aws.client("sqs").send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({"transaction_id": transaction_id}))

    (delivery,) = drain(aws)

    assert delivery.failed_message_ids == []
    assert len(ledger_rows(postgres, [transaction_id])) == 1
    assert len(notifications(aws)) == 1
    assert statuses(aws) == settled_before == {transaction_id: "SETTLED"}
    assert len(aws.client("s3").list_objects_v2(Bucket=aws.bucket)["Contents"]) == 1


def test_settlement_interrupted_after_the_ledger_resumes_on_retry(
    aws: AwsResources,
    env: dict[str, str],
    postgres: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    transaction_id = _pay()
    real_publish = settlement.publish_settled_batch
    calls: list[int] = []

    def publish_failing_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("SNS unreachable")
        return real_publish(*args)

    monkeypatch.setattr(settlement, "publish_settled_batch", publish_failing_once)

    first, second = drain(aws)

    assert first.failed_message_ids and not second.failed_message_ids
    ((_, _, _, _, notified_at),) = ledger_rows(postgres, [transaction_id])
    assert notified_at is not None
    assert len(notifications(aws)) == 1
    assert statuses(aws) == {transaction_id: "SETTLED"}
    emitted = _metrics_emitted(capfd)
    assert len(_carrying(emitted, "TransactionLatency")) == 1, "once per transaction, by the attempt that completed it"
    assert len(_carrying(emitted, "SettlementFailed")) == 1


def test_poison_messages_are_reported_and_end_in_the_dlq(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    good = _pay()
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody="this is not a settlement message")
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({"transaction_id": str(uuid.uuid4())}))

    rounds = drain(aws)

    assert rounds[0].received == 3
    assert len(rounds[0].failed_message_ids) == 2, "the good message settles, the two poison ones are reported"
    assert sum(len(delivery.failed_message_ids) for delivery in rounds) == 2 * MAX_RECEIVE_COUNT
    assert queue_depth(sqs, aws.queue_url) == 0
    dead = sqs.receive_message(QueueUrl=aws.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert {message["Body"][:4] for message in dead} == {'{"tr', "this"}
    assert len(ledger_rows(postgres, [good])) == 1


def test_message_for_a_transaction_marked_failed_is_acknowledged_not_settled(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYMENT_QUEUE_URL", aws.queue_url + "-missing")
    execution_environment.clear_caches()
    assert submit()["statusCode"] == 503
    ((failed_id, status),) = statuses(aws).items()
    assert status == "FAILED"
    aws.client("sqs").send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({"transaction_id": failed_id}))

    (delivery,) = drain(aws)

    assert delivery.failed_message_ids == []
    assert ledger_rows(postgres, [failed_id]) == []
    assert statuses(aws) == {failed_id: "FAILED"}
    assert notifications(aws) == []


def test_postgres_stopped_mid_batch_then_every_transaction_settles_exactly_once(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    transaction_ids = [_pay(index) for index in range(10)]
    real_record = settlement.record_settlements

    def crash_database_then_record(connection: Any, transactions: Any) -> Any:
        postgres.stop()
        return real_record(connection, transactions)

    monkeypatch.setattr(settlement, "record_settlements", crash_database_then_record)
    with postgres_stopped_later(postgres):
        during_outage = deliver(aws)

        assert during_outage.received == 10
        assert not during_outage.handler_raised
        assert len(during_outage.failed_message_ids) == 10, "one ledger transaction per batch: all or nothing"
        assert statuses(aws) == dict.fromkeys(transaction_ids, "PENDING")
        postgres.start()
    monkeypatch.setattr(settlement, "record_settlements", real_record)

    after = drain(aws)

    assert all(not delivery.failed_message_ids for delivery in after)
    rows = ledger_rows(postgres, transaction_ids)
    assert sorted(row[0] for row in rows) == sorted(transaction_ids), "each transaction exactly once"
    assert all(row[4] is not None for row in rows)
    assert set(statuses(aws).values()) == {"SETTLED"}
    assert sorted(message["transaction_id"] for message in notifications(aws)) == sorted(transaction_ids)


def test_stale_connection_is_reopened_after_a_server_restart(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    first = _pay(1)
    assert not deliver(aws).failed_message_ids
    with postgres_stopped_later(postgres):
        postgres.stop()
        postgres.start()
    second = _pay(2)

    delivery = deliver(aws)

    assert delivery.failed_message_ids == [], "the dead pooled connection is replaced within the same attempt"
    assert len(ledger_rows(postgres, [first, second])) == 2

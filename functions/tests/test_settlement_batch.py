"""Settlement by batch: one notification per transaction under concurrent delivery, batched calls,
per-message failures. Real PostgreSQL (TLS) and moto; AWS calls counted with botocore event hooks."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from payment_support import VALID_BODY, submit
from settlement_support import drain, ledger_rows, notifications, received_event, statuses

from payments import aws_clients, settlement
from payments.database import Database
from payments.handlers import settlement_worker
from payments.notifications import NotificationError
from testkit.aws_support import AwsResources
from testkit.lambda_support import body_of
from testkit.pg_server import PostgresServer


def _pay(count: int) -> list[str]:
    ids = []
    for index in range(count):
        response = submit({**VALID_BODY, "amount_minor": 2000 + index}, key=f"batch-{uuid.uuid4()}")
        assert response["statusCode"] == 202
        ids.append(str(body_of(response)["transaction_id"]))
    return ids


class AwsCalls:
    """Counts the worker's AWS operations (and SNS entries) through botocore `provide-client-params` hooks."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self.sns_entries = 0
        self.publish_delay = 0.0
        self._lock = threading.Lock()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.operations[model.name] += 1
            if model.name == "PublishBatch":
                self.sns_entries += len(params["PublishBatchRequestEntries"])
            elif model.name == "Publish":
                self.sns_entries += 1
        if model.name in {"Publish", "PublishBatch"}:
            time.sleep(self.publish_delay)


@pytest.fixture
def aws_calls(env: dict[str, str]) -> Iterator[AwsCalls]:
    calls = AwsCalls()
    clients = [aws_clients.client(service) for service in ("dynamodb", "s3", "sns")]
    for client in clients:
        client.meta.events.register("provide-client-params", calls)
    yield calls
    for client in clients:
        client.meta.events.unregister("provide-client-params", calls)


def test_two_concurrent_deliveries_of_a_batch_notify_once_per_transaction(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, aws_calls: AwsCalls
) -> None:
    transaction_ids = _pay(10)
    event = received_event(aws, 10)
    # Two execution environments (own connection each) receive the same batch at the same moment,
    # as when the visibility timeout runs out during a slow settlement; publishing is slow too.
    settlers = [settlement_worker.build_settler() for _ in range(2)]
    aws_calls.publish_delay = 0.3
    start = threading.Barrier(2)
    results: list[dict[str, Exception]] = []

    def deliver(settler: Any) -> None:
        start.wait(10)
        results.append(settlement_worker.settle(event, settler))

    threads = [threading.Thread(target=deliver, args=(settler,)) for settler in settlers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for settler in settlers:
            settler.close()

    assert results == [{}, {}], "both deliveries succeed (the second acknowledges what the first did)"
    assert aws_calls.sns_entries == 10, "one SNS notification per transaction, not one per delivery"
    received = notifications(aws)
    assert sorted(message["transaction_id"] for message in received) == sorted(transaction_ids)
    assert all(message["deduplication_id"] == message["transaction_id"] for message in received)
    assert len(ledger_rows(postgres, transaction_ids)) == 10
    assert set(statuses(aws).values()) == {"SETTLED"}


def test_every_notification_carries_a_deduplication_id_attribute(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    (transaction_id,) = _pay(1)
    drain(aws)

    sqs = aws.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=aws.notifications_queue_url, MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"]["deduplication_id"]["StringValue"] == transaction_id


def test_a_batch_is_one_ledger_transaction_per_step_and_batched_aws_calls(
    aws: AwsResources,
    env: dict[str, str],
    postgres: PostgresServer,
    aws_calls: AwsCalls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transaction_ids = _pay(10)
    ledger_transactions: list[int] = []
    real_in_transaction = Database.in_transaction

    def counted(self: Database, work: Any) -> Any:
        ledger_transactions.append(1)
        return real_in_transaction(self, work)

    monkeypatch.setattr(Database, "in_transaction", counted)
    aws_calls.operations.clear()  # process-payment's calls

    (delivery,) = drain(aws)

    assert (delivery.received, delivery.failed_message_ids) == (10, [])
    assert len(ledger_transactions) == 2, "the ledger rows, then the notification claims: whatever the batch size"
    operations = dict(aws_calls.operations)
    assert operations == {"UpdateItem": 20, "PutObject": 10, "PublishBatch": 1}, operations
    assert len(ledger_rows(postgres, transaction_ids)) == 10


def test_a_notification_sns_refuses_fails_only_its_message_and_is_sent_on_retry(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    transaction_ids = _pay(3)
    refused = uuid.UUID(transaction_ids[1])
    real_publish = settlement.publish_settled_batch
    calls: list[int] = []

    def refuse_one_entry_once(client: Any, topic_arn: str, batch: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            return real_publish(client, topic_arn, batch)
        failures = real_publish(
            client, topic_arn, [item for item in batch if item.transaction.transaction_id != refused]
        )
        return {**failures, refused: NotificationError("SNS refused the notification: InternalError")}

    monkeypatch.setattr(settlement, "publish_settled_batch", refuse_one_entry_once)

    first, second = drain(aws)

    assert len(first.failed_message_ids) == 1 and second.failed_message_ids == []
    received = sorted(message["transaction_id"] for message in notifications(aws))
    assert received == sorted(transaction_ids), "the two accepted ones once, the refused one on the retry"
    assert all(row[4] is not None for row in ledger_rows(postgres, transaction_ids))

"""Settlement by batch: one notification per transaction under concurrent delivery, batched calls,
per-message failures. Real PostgreSQL (TLS) and moto; AWS calls counted with botocore event hooks."""

from __future__ import annotations

import json
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
from payments.queue import PAYMENT_ATTRIBUTE
from payments.storage_schema import TRANSACTION, TransactionStatus
from payments.transactions import TransactionStore, utc_now
from testkit.aws_support import TRANSACTIONS_TABLE_NAME, AwsResources
from testkit.lambda_support import body_of
from testkit.pg_server import APP_DATABASE, PostgresServer


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
    # 4 calls for 10 transactions: the claims, the SETTLED updates, the audit records, the notifications.
    assert operations == {"TransactWriteItems": 2, "PutObject": 1, "PublishBatch": 1}, operations
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
        failures = real_publish(client, topic_arn, [item for item in batch if item.payment.transaction_id != refused])
        return {**failures, refused: NotificationError("SNS refused the notification: InternalError")}

    monkeypatch.setattr(settlement, "publish_settled_batch", refuse_one_entry_once)

    first, second = drain(aws)

    assert len(first.failed_message_ids) == 1 and second.failed_message_ids == []
    received = sorted(message["transaction_id"] for message in notifications(aws))
    assert received == sorted(transaction_ids), "the two accepted ones once, the refused one on the retry"
    assert all(row[4] is not None for row in ledger_rows(postgres, transaction_ids))


def _until_lock_waits(postgres: PostgresServer, waiting: bool, timeout: float = 20.0) -> bool:
    """Wait until a session of the ledger database waits for a row lock (`waiting`), or none does."""
    admin = postgres.connect()
    try:
        deadline = time.monotonic() + timeout
        query = "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"
        while admin.run(query, db=APP_DATABASE)[0][0] != waiting:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True
    finally:
        admin.close()


def test_a_refused_notification_never_lets_a_concurrent_delivery_renotify_a_published_one(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """X claims t1 and t2 and publishes; SNS refuses t2. Y, the same batch delivered again meanwhile,
    waits on X's claims. Whatever X does to release t2, Y must never get t1: t1 is published once.
    (Claims X makes after its first are slowed down until Y stops waiting: the scheduling a loaded
    database can give, made certain.)"""
    first, refused = (uuid.UUID(transaction_id) for transaction_id in _pay(2))
    event = received_event(aws, 2)
    real_publish, real_claim = settlement.publish_settled_batch, settlement.claim_notifications
    claims_by_x: list[int] = []
    x, y = settlement_worker.build_settler(), settlement_worker.build_settler()
    results: dict[str, dict[str, Exception]] = {}
    second_delivery = threading.Thread(target=lambda: results.update(y=settlement_worker.settle(event, y)))

    def publish(client: Any, topic_arn: str, batch: Any) -> Any:
        if second_delivery.ident is not None:  # Y's publish: SNS takes everything
            return real_publish(client, topic_arn, batch)
        second_delivery.start()
        assert _until_lock_waits(postgres, True), "the second delivery never waited for the first one's claims"
        published = real_publish(client, topic_arn, [item for item in batch if item.payment.transaction_id != refused])
        return {**published, refused: NotificationError("SNS refused the notification: InternalError")}

    def claim(connection: Any, transaction_ids: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            claims_by_x.append(1)
            if len(claims_by_x) > 1:
                _until_lock_waits(postgres, False, timeout=5)
        return real_claim(connection, transaction_ids)

    monkeypatch.setattr(settlement, "publish_settled_batch", publish)
    monkeypatch.setattr(settlement, "claim_notifications", claim)
    try:
        results["x"] = settlement_worker.settle(event, x)
        second_delivery.join(60)
    finally:
        x.close()
        y.close()

    notified = Counter(message["transaction_id"] for message in notifications(aws))
    assert notified == {str(first): 1, str(refused): 1}, "each transaction notified once, t1 by X and t2 by Y"
    assert len(results["x"]) == 1 and results["y"] == {}


def _legacy_payment(aws: AwsResources, *, amount_minor: int, currency: str) -> str:
    """A PENDING item written before today's validation, and its message: the ledger's constraints refuse it."""
    transaction_id, now = str(uuid.uuid4()), utc_now().isoformat(timespec="microseconds")
    aws.client("dynamodb").put_item(
        TableName=TRANSACTIONS_TABLE_NAME,
        Item={
            TRANSACTION.transaction_id: {"S": transaction_id},
            TRANSACTION.status: {"S": TransactionStatus.PENDING.value},
            TRANSACTION.amount_minor: {"N": str(amount_minor)},
            TRANSACTION.currency: {"S": currency},
            TRANSACTION.merchant_id: {"S": "merchant-001"},
            TRANSACTION.payment_method_token: {"S": "pm_tok_legacy001"},
            TRANSACTION.created_at: {"S": now},
            TRANSACTION.updated_at: {"S": now},
        },
    )
    aws.client("sqs").send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({"transaction_id": transaction_id}))
    return transaction_id


def test_ledger_rows_postgresql_refuses_fail_only_their_messages(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    good = _pay(3)
    too_large = _legacy_payment(aws, amount_minor=2**63, currency="USD")  # out of bigint's range (SQLSTATE 22003)
    lowercase = _legacy_payment(aws, amount_minor=100, currency="usd")  # the currency CHECK (SQLSTATE 23514)
    event = received_event(aws, 5)
    ids_of = {json.loads(record["body"])["transaction_id"]: record["messageId"] for record in event["Records"]}

    settler = settlement_worker.build_settler()
    try:
        failures = settlement_worker.settle(event, settler)
    finally:
        settler.close()

    assert set(failures) == {ids_of[too_large], ids_of[lowercase]}, "only the refused rows' messages fail"
    assert sorted(row[0] for row in ledger_rows(postgres, [*good, too_large, lowercase])) == sorted(good)
    assert {transaction_id: status for transaction_id, status in statuses(aws).items() if transaction_id in good} == {
        transaction_id: "SETTLED" for transaction_id in good
    }
    assert sorted(message["transaction_id"] for message in notifications(aws)) == sorted(good)


def test_a_transaction_marked_failed_is_skipped_and_the_rest_of_the_batch_claimed(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, aws_calls: AwsCalls
) -> None:
    """The batch claim is one all-or-nothing request: the FAILED transaction's condition cancels it, and
    it is sent again without that one."""
    settled, failed = _pay(2), _pay(1)
    store = TransactionStore(TRANSACTIONS_TABLE_NAME, aws.client("dynamodb"))
    assert store.mark_enqueue_failed(uuid.UUID(failed[0]), utc_now())
    aws_calls.operations.clear()

    (delivery,) = drain(aws)

    assert (delivery.received, delivery.failed_message_ids) == (3, []), "the FAILED one is acknowledged"
    assert sorted(row[0] for row in ledger_rows(postgres, [*settled, *failed])) == sorted(settled)
    assert statuses(aws) == {**dict.fromkeys(settled, "SETTLED"), failed[0]: "FAILED"}
    assert aws_calls.operations["TransactWriteItems"] == 3, "claim, claim again without the FAILED one, SETTLED"


def test_a_message_carrying_another_payment_than_the_stored_one_settles_the_stored_payment(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, aws_calls: AwsCalls
) -> None:
    """What a message carries only spares reading the table: when it is not the stored payment, the
    transaction is claimed from the table and the stored payment is what the ledger gets."""
    (transaction_id,) = _pay(1)
    event = received_event(aws, 1)
    (record,) = event["Records"]
    carried = json.loads(record["messageAttributes"][PAYMENT_ATTRIBUTE]["stringValue"])
    record["messageAttributes"][PAYMENT_ATTRIBUTE]["stringValue"] = json.dumps({**carried, "amount_minor": 1})
    aws_calls.operations.clear()

    settler = settlement_worker.build_settler()
    try:
        failures = settlement_worker.settle(event, settler)
    finally:
        settler.close()

    assert failures == {}
    ((_, amount, *_),) = ledger_rows(postgres, [transaction_id])
    assert amount == carried["amount_minor"] == 2000, "the stored amount, not the message's 1"
    assert statuses(aws) == {transaction_id: "SETTLED"}
    assert aws_calls.operations["UpdateItem"] == 1, "the claim from the table, after the batch claim's refusal"


def _audit_lines(aws: AwsResources) -> dict[str, list[bytes]]:
    s3 = aws.client("s3")
    return {
        item["Key"]: s3.get_object(Bucket=aws.bucket, Key=item["Key"])["Body"].read().splitlines()
        for item in s3.list_objects_v2(Bucket=aws.bucket, Prefix="settlements/").get("Contents", [])
    }


def test_a_batch_has_one_audit_object_its_redelivery_rewrites_with_the_same_bytes(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    transaction_ids = _pay(3)
    event = received_event(aws, 3)
    real_publish = settlement.publish_settled_batch

    def sns_down(client: Any, topic_arn: str, batch: Any) -> Any:
        return {item.payment.transaction_id: NotificationError("SNS refused: InternalError") for item in batch}

    settler = settlement_worker.build_settler()
    try:
        monkeypatch.setattr(settlement, "publish_settled_batch", sns_down)
        assert len(settlement_worker.settle(event, settler)) == 3, "audited and SETTLED, but nobody notified"
        first = _audit_lines(aws)
        monkeypatch.setattr(settlement, "publish_settled_batch", real_publish)
        assert settlement_worker.settle(event, settler) == {}  # the same batch, delivered again
    finally:
        settler.close()

    assert _audit_lines(aws) == first, "one object, rewritten under the same key with the same bytes"
    ((key, lines),) = first.items()
    assert key.startswith("settlements/") and key.endswith(".jsonl")
    records = [json.loads(line) for line in lines]
    assert [record["transaction_id"] for record in records] == sorted(transaction_ids)
    assert {record["status"] for record in records} == {"SETTLED"}
    assert sorted(message["transaction_id"] for message in notifications(aws)) == sorted(transaction_ids)

"""Helpers for the settlement tests: drive the queue like the event source mapping, read the ledger."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from payments.handlers import settlement_worker
from testkit.aws_support import TRANSACTIONS_TABLE_NAME, AwsResources, table_items
from testkit.lambda_support import Delivery, deliver_once, sqs_event
from testkit.pg_server import APP_DATABASE, APP_USER, PostgresServer


def deliver(aws: AwsResources) -> Delivery:
    return deliver_once(aws.client("sqs"), aws.queue_url, settlement_worker.handler)


def drain(aws: AwsResources, max_rounds: int = 10) -> list[Delivery]:
    """Poll until the queue is empty (bounded): what Lambda does over the following minutes."""
    rounds: list[Delivery] = []
    for _ in range(max_rounds):
        delivery = deliver(aws)
        if delivery.received == 0:
            return rounds
        rounds.append(delivery)
    raise AssertionError(f"queue not drained after {max_rounds} polls: {rounds}")


def ledger_rows(postgres: PostgresServer, transaction_ids: list[str]) -> list[list[Any]]:
    connection = postgres.connect(APP_DATABASE, APP_USER)
    try:
        return list(
            connection.run(
                "SELECT CAST(l.transaction_id AS text), l.amount_minor, l.currency, l.merchant_id, n.notified_at"
                " FROM ledger_entries l JOIN settlements s USING (transaction_id)"
                " LEFT JOIN settlement_notifications n USING (transaction_id)"
                " WHERE CAST(l.transaction_id AS text) = ANY(:ids) ORDER BY l.entry_id",
                ids=transaction_ids,
            )
        )
    finally:
        connection.close()


def notifications(aws: AwsResources) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=aws.notifications_queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=aws.notifications_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def statuses(aws: AwsResources) -> dict[str, str]:
    return {item["transaction_id"]["S"]: item["status"]["S"] for item in table_items(aws, TRANSACTIONS_TABLE_NAME)}


@contextlib.contextmanager
def postgres_stopped_later(postgres: PostgresServer) -> Iterator[None]:
    """Whatever the test stops, the server is running again afterwards for the next test."""
    try:
        yield
    finally:
        if not (postgres.data_dir / "postmaster.pid").exists():
            postgres.start()


def received_event(aws: AwsResources, count: int) -> dict[str, Any]:
    """Receive `count` messages and build the SQS event the event source mapping would pass (not deleted)."""
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        messages += sqs.receive_message(
            QueueUrl=aws.queue_url,
            MaxNumberOfMessages=min(10, count - len(messages)),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
    queue_arn = sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs_event(messages, queue_arn)

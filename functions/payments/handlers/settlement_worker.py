"""SQS batch consumer: settles the whole batch at once, reporting failed messages back (ReportBatchItemFailures).

A failed message becomes visible again and is retried; after the queue's maxReceiveCount SQS moves
it to the dead-letter queue. Nothing is acknowledged unless it was settled (or was a transaction
deliberately marked FAILED, which is logged and counted). The worker signs in as the ledger
writer with an IAM token (it has no password) and never migrates: the deploy runs
`payments.handlers.migrate_ledger` first.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import msgspec
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import aws_clients, execution_environment, metric_names
from payments.database import Database, IamToken
from payments.models import AcceptedPayment, SettlementMessage
from payments.observability import logger, metrics
from payments.queue import PAYMENT_ATTRIBUTE
from payments.settings import SettlementWorkerSettings
from payments.settlement import Settler
from payments.transactions import TransactionStore

# Concurrent AWS calls: the claims of messages without the payment (one each), the SETTLED request beside the
# audit object, the PublishBatch requests of a batch larger than 10.
PARALLEL_CALLS = 20


class PoisonMessageError(ValueError):
    """The message body is not a settlement message; it will end in the dead-letter queue."""


def build_settler() -> Settler:
    """What one execution environment uses: settings, one DB connection (as the ledger writer), a pool."""
    settings = SettlementWorkerSettings.from_environ(os.environ)
    return Settler(
        settings=settings,
        database=Database(
            settings, sign_in=IamToken(settings.db_writer_user, settings.db_proxy_endpoint, settings.db_port)
        ),
        store=TransactionStore(settings.transactions_table_name, aws_clients.client("dynamodb")),
        s3=aws_clients.client("s3"),
        sns=aws_clients.client("sns"),
        pool=ThreadPoolExecutor(max_workers=PARALLEL_CALLS, thread_name_prefix="settle"),
    )


@execution_environment.cached
def _settler() -> Settler:
    """Built on the first invocation of an execution environment and reused after."""
    return build_settler()


def settle(event: dict[str, Any], settler: Settler) -> dict[str, Exception]:
    """Settle the event's messages; return the failed ones' errors by message id."""
    messages: dict[str, UUID] = {}
    carried: dict[UUID, AcceptedPayment] = {}
    failures: dict[str, Exception] = {}
    for record in event["Records"]:
        message_id = record["messageId"]
        try:
            message = msgspec.json.decode(record["body"], type=SettlementMessage)
        except msgspec.DecodeError:  # not JSON, or not this model (ValidationError)
            failures[message_id] = PoisonMessageError(f"message {message_id} is not a settlement message")
            continue
        messages[message_id] = message.transaction_id
        payment = _carried_payment(record)
        if payment is not None and payment.transaction_id == message.transaction_id:
            carried[message.transaction_id] = payment
    if messages:
        failures |= settler.settle_batch(messages, carried)
    return failures


def _carried_payment(record: dict[str, Any]) -> AcceptedPayment | None:
    """The payment the message carries (payments.queue); None without one or with one that does not parse,
    which is settled from the table instead."""
    value = ((record.get("messageAttributes") or {}).get(PAYMENT_ATTRIBUTE) or {}).get("stringValue")
    if not isinstance(value, str):
        return None
    try:
        return msgspec.json.decode(value, type=AcceptedPayment)
    except msgspec.DecodeError:
        return None


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    failures = settle(event, _settler())  # a configuration error fails the invocation before any message
    for message_id, error in failures.items():
        logger.error(
            "settlement failed; the message will be retried, then dead-lettered",
            exc_info=error,
            extra={"message_id": message_id},
        )
    if failures:
        metrics.add_metric(name=metric_names.SETTLEMENT_FAILED, unit=MetricUnit.Count, value=len(failures))
    # The partial batch response (ReportBatchItemFailures), in the order of the batch as SQS gave it.
    return {
        "batchItemFailures": [
            {"itemIdentifier": record["messageId"]} for record in event["Records"] if record["messageId"] in failures
        ]
    }

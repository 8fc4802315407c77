"""SQS batch consumer: settles each message, reporting failed ones back (ReportBatchItemFailures).

A failed message becomes visible again and is retried; after the queue's maxReceiveCount SQS moves
it to the dead-letter queue. Nothing is acknowledged unless it was settled (or was a transaction
deliberately marked FAILED, which is logged and counted).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from payments import aws_clients, metric_names
from payments.database import Database
from payments.models import SettlementMessage
from payments.observability import logger, metrics, tracer
from payments.settings import SettlementWorkerSettings
from payments.settlement import Settler
from payments.transactions import TransactionStore

_processor = BatchProcessor(event_type=EventType.SQS)


class PoisonMessageError(ValueError):
    """The message body is not a settlement message; it will end in the dead-letter queue."""


@functools.cache
def _settler() -> Settler:
    """Built on the first invocation of an execution environment and reused after (one DB connection)."""
    settings = SettlementWorkerSettings.from_environ(os.environ)
    return Settler(
        settings=settings,
        database=Database(settings, migrate=True),
        store=TransactionStore(settings.transactions_table_name, aws_clients.client("dynamodb")),
        s3=aws_clients.client("s3"),
        sns=aws_clients.client("sns"),
    )


def _settle_record(record: SQSRecord) -> None:
    try:
        logger.append_keys(message_id=record.message_id, receive_count=record.attributes.get("ApproximateReceiveCount"))
        try:
            message = SettlementMessage.model_validate_json(record.body)
        except ValidationError:
            raise PoisonMessageError(f"message {record.message_id} is not a settlement message") from None
        logger.append_keys(transaction_id=str(message.transaction_id))
        _settler().settle(message)
    except Exception:
        logger.exception("settlement failed; the message will be retried, then dead-lettered")
        metrics.add_metric(name=metric_names.SETTLEMENT_FAILED, unit=MetricUnit.Count, value=1)
        raise
    finally:
        logger.remove_keys(["message_id", "receive_count", "transaction_id"])


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    _settler()  # a configuration error fails the invocation before any message is attempted
    return process_partial_response(event=event, record_handler=_settle_record, processor=_processor, context=context)

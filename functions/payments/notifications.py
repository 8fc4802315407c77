"""The SNS notifications of settlements, published in batches (PublishBatch, up to 10 per call).

Each notification carries a deduplication id (the transaction id, as the `deduplication_id`
message attribute and body field): the worker notifies once per transaction, but a crash between
publishing and committing the claim republishes, and subscribers drop that repeat by this id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from msgspec import Struct

from payments.ledger import LedgerRecord
from payments.models import AcceptedPayment
from payments.storage_schema import TransactionStatus

PUBLISH_BATCH_LIMIT = 10  # SNS PublishBatch: at most 10 entries per request


class NotificationError(RuntimeError):
    """SNS refused this notification (one entry of a PublishBatch request)."""


class Settled(Struct, frozen=True):
    payment: AcceptedPayment
    ledger: LedgerRecord


def notification_message(settled: Settled) -> str:
    payment, ledger = settled.payment, settled.ledger
    return json.dumps(
        {
            "event": "payment.settled",
            "deduplication_id": str(payment.transaction_id),
            "transaction_id": str(payment.transaction_id),
            "status": TransactionStatus.SETTLED.value,
            "merchant_id": payment.merchant_id,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "settled_at": ledger.settled_at.isoformat(),
        },
        sort_keys=True,
    )


def _entry(settled: Settled) -> dict[str, Any]:
    transaction_id = str(settled.payment.transaction_id)
    return {
        "Id": transaction_id,  # unique in the request: one entry per transaction
        "Subject": "Payment settled",
        "Message": notification_message(settled),
        "MessageAttributes": {
            "event": {"DataType": "String", "StringValue": "payment.settled"},
            "transaction_id": {"DataType": "String", "StringValue": transaction_id},
            "deduplication_id": {"DataType": "String", "StringValue": transaction_id},
        },
    }


def publish_settled_batch(client: Any, topic_arn: str, batch: Sequence[Settled]) -> dict[UUID, NotificationError]:
    """One PublishBatch request (at most 10 entries); returns the entries SNS refused, by transaction id."""
    if not batch:
        return {}
    if len(batch) > PUBLISH_BATCH_LIMIT:
        raise ValueError(f"PublishBatch takes at most {PUBLISH_BATCH_LIMIT} entries, got {len(batch)}")
    response = client.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=[_entry(item) for item in batch])
    return {
        UUID(failure["Id"]): NotificationError(f"SNS refused the notification: {failure.get('Code', 'unknown')}")
        for failure in response.get("Failed", [])
    }

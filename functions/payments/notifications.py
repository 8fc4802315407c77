"""The SNS notification of a settlement (at least once; `transaction_id` lets subscribers de-duplicate)."""

from __future__ import annotations

import json
from typing import Any

from payments.ledger import LedgerRecord
from payments.models import Transaction
from payments.storage_schema import TransactionStatus


def publish_settled(client: Any, topic_arn: str, transaction: Transaction, ledger: LedgerRecord) -> str:
    message = {
        "event": "payment.settled",
        "transaction_id": str(transaction.transaction_id),
        "status": TransactionStatus.SETTLED.value,
        "merchant_id": transaction.merchant_id,
        "amount_minor": transaction.amount_minor,
        "currency": transaction.currency,
        "settled_at": ledger.settled_at.isoformat(),
    }
    response = client.publish(
        TopicArn=topic_arn,
        Subject="Payment settled",
        Message=json.dumps(message, sort_keys=True),
        MessageAttributes={
            "event": {"DataType": "String", "StringValue": "payment.settled"},
            "transaction_id": {"DataType": "String", "StringValue": str(transaction.transaction_id)},
        },
    )
    return str(response["MessageId"])

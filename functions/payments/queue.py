"""The payment queue: one message per accepted transaction.

The body is the transaction id (`SettlementMessage`), all a worker needs: the transactions table is
the source of truth. The `payment` message attribute carries the accepted payment too, so the worker
can claim a whole batch in one conditional write instead of reading each item back: the claim holds
only if the stored transaction is exactly that payment (payments.transactions). A message without
the attribute is settled from the table, item by item.
"""

from __future__ import annotations

from typing import Any

import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from payments.models import AcceptedPayment, SettlementMessage

PAYMENT_ATTRIBUTE = "payment"


class EnqueueError(RuntimeError):
    """The transaction could not be handed to the settlement queue."""


def enqueue_settlement(client: Any, queue_url: str, payment: AcceptedPayment) -> str:
    """Send the settlement message; return its SQS message id."""
    try:
        response = client.send_message(
            QueueUrl=queue_url,
            MessageBody=msgspec.json.encode(SettlementMessage(transaction_id=payment.transaction_id)).decode(),
            MessageAttributes={
                PAYMENT_ATTRIBUTE: {"DataType": "String", "StringValue": msgspec.json.encode(payment).decode()}
            },
        )
    except (BotoCoreError, ClientError) as error:
        raise EnqueueError(f"could not enqueue transaction {payment.transaction_id}: {type(error).__name__}") from error
    return str(response["MessageId"])

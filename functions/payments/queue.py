"""The payment queue: one message per accepted transaction, carrying only its id."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from botocore.exceptions import BotoCoreError, ClientError

from payments.models import SettlementMessage


class EnqueueError(RuntimeError):
    """The transaction could not be handed to the settlement queue."""


def enqueue_settlement(client: Any, queue_url: str, transaction_id: UUID) -> str:
    """Send the settlement message; return its SQS message id."""
    try:
        response = client.send_message(
            QueueUrl=queue_url,
            MessageBody=SettlementMessage(transaction_id=transaction_id).model_dump_json(),
        )
    except (BotoCoreError, ClientError) as error:
        raise EnqueueError(f"could not enqueue transaction {transaction_id}: {type(error).__name__}") from error
    return str(response["MessageId"])

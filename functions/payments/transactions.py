"""The transactions table: every read and write of a payment's DynamoDB record.

Status changes are conditional writes, so two actors can never both win:
- process-payment writes PENDING, and if it cannot enqueue, flips PENDING -> FAILED unless the
  worker has already claimed the transaction (then the message was delivered and it will settle);
- the worker claims a PENDING transaction before writing the ledger, then flips it to SETTLED.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from payments.models import Payment, Transaction
from payments.storage_schema import TRANSACTION, TransactionStatus

_DESERIALIZER = TypeDeserializer()
_NAMES = {"#status": TRANSACTION.status, "#claimed": TRANSACTION.settlement_claimed_at}


class PaymentMismatchError(ValueError):
    """The transaction id is taken by a different payment (same Idempotency-Key, different body)."""


class SettlementConflictError(RuntimeError):
    """The ledger holds an entry for a transaction DynamoDB does not show as PENDING or SETTLED."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> dict[str, str]:
    return {"S": moment.astimezone(UTC).isoformat(timespec="microseconds")}


def _conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _transaction(item: dict[str, Any]) -> Transaction:
    plain = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    return Transaction.model_validate(plain)


class TransactionStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def _key(self, transaction_id: UUID) -> dict[str, dict[str, str]]:
        return {TRANSACTION.transaction_id: {"S": str(transaction_id)}}

    def record_pending(self, transaction_id: UUID, payment: Payment, now: datetime) -> TransactionStatus:
        """Write the transaction PENDING, or resume the one an earlier attempt wrote; return its status.

        A transaction an earlier attempt marked FAILED (it could not be enqueued) becomes PENDING
        again. A different payment under the same id raises PaymentMismatchError.
        """
        try:
            self._put_pending(transaction_id, payment, now)
        except ClientError as error:
            if not _conditional_failure(error):
                raise
            existing = error.response.get("Item") or {}
        else:
            return TransactionStatus.PENDING
        transaction = _transaction(existing)
        stored = (
            transaction.amount_minor,
            transaction.currency,
            transaction.merchant_id,
            transaction.payment_method_token,
        )
        if stored != (payment.amount_minor, payment.currency, payment.merchant_id, payment.payment_method_token):
            raise PaymentMismatchError(f"transaction {transaction_id} exists with a different payment")
        if transaction.status == TransactionStatus.FAILED:
            self._reopen_failed(transaction_id, now)
            return TransactionStatus.PENDING
        return transaction.status

    def _put_pending(self, transaction_id: UUID, payment: Payment, now: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                **self._key(transaction_id),
                TRANSACTION.status: {"S": TransactionStatus.PENDING.value},
                TRANSACTION.amount_minor: {"N": str(payment.amount_minor)},
                TRANSACTION.currency: {"S": payment.currency},
                TRANSACTION.merchant_id: {"S": payment.merchant_id},
                TRANSACTION.payment_method_token: {"S": payment.payment_method_token},
                TRANSACTION.created_at: _timestamp(now),
                TRANSACTION.updated_at: _timestamp(now),
            },
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": TRANSACTION.transaction_id},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _reopen_failed(self, transaction_id: UUID, now: datetime) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(transaction_id),
                UpdateExpression="SET #status = :pending, #updated = :now REMOVE #reason",
                ConditionExpression="#status = :failed",
                ExpressionAttributeNames={
                    "#status": TRANSACTION.status,
                    "#updated": TRANSACTION.updated_at,
                    "#reason": TRANSACTION.failure_reason,
                },
                ExpressionAttributeValues={
                    ":failed": {"S": TransactionStatus.FAILED.value},
                    ":pending": {"S": TransactionStatus.PENDING.value},
                    ":now": _timestamp(now),
                },
            )
        except ClientError as error:
            if not _conditional_failure(error):  # a concurrent retry reopened it first: same outcome
                raise

    def mark_enqueue_failed(self, transaction_id: UUID, now: datetime) -> bool:
        """PENDING -> FAILED unless the worker already claimed it; False means it will settle."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(transaction_id),
                UpdateExpression="SET #status = :failed, #reason = :reason, #updated = :now",
                ConditionExpression="#status = :pending AND attribute_not_exists(#claimed)",
                ExpressionAttributeNames={
                    **_NAMES,
                    "#reason": TRANSACTION.failure_reason,
                    "#updated": TRANSACTION.updated_at,
                },
                ExpressionAttributeValues={
                    ":failed": {"S": TransactionStatus.FAILED.value},
                    ":pending": {"S": TransactionStatus.PENDING.value},
                    ":reason": {"S": "ENQUEUE_FAILED"},
                    ":now": _timestamp(now),
                },
            )
        except ClientError as error:
            if _conditional_failure(error):
                return False
            raise
        return True

    def claim_for_settlement(self, transaction_id: UUID, now: datetime) -> Transaction | None:
        """Mark a PENDING transaction as claimed by the worker; return its current state (None: unknown id)."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(transaction_id),
                UpdateExpression="SET #claimed = if_not_exists(#claimed, :now)",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues={":pending": {"S": TransactionStatus.PENDING.value}, ":now": _timestamp(now)},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _conditional_failure(error):
                raise
            old = error.response.get("Item")
            return _transaction(old) if old else None
        return _transaction(response["Attributes"])

    def mark_settled(self, transaction_id: UUID, settled_at: datetime) -> None:
        """PENDING -> SETTLED; already SETTLED is fine (redelivery); anything else is a conflict."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(transaction_id),
                UpdateExpression="SET #status = :settled, #settled = :at, #updated = :at",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={
                    "#status": TRANSACTION.status,
                    "#settled": TRANSACTION.settled_at,
                    "#updated": TRANSACTION.updated_at,
                },
                ExpressionAttributeValues={
                    ":settled": {"S": TransactionStatus.SETTLED.value},
                    ":pending": {"S": TransactionStatus.PENDING.value},
                    ":at": _timestamp(settled_at),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _conditional_failure(error):
                raise
            old = error.response.get("Item")
            status = old.get(TRANSACTION.status, {}).get("S") if old else None
            if status != TransactionStatus.SETTLED:
                raise SettlementConflictError(
                    f"transaction {transaction_id} has a ledger entry but its DynamoDB status is {status}: "
                    "investigate before redriving this message"
                ) from None

    def get(self, transaction_id: UUID) -> Transaction | None:
        response = self._client.get_item(TableName=self._table, Key=self._key(transaction_id), ConsistentRead=True)
        item = response.get("Item")
        return _transaction(item) if item else None

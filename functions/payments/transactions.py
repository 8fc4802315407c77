"""The transactions table: every read and write of a payment's DynamoDB record.

Status changes are conditional writes, so two actors can never both win:
- process-payment writes PENDING, and if it cannot enqueue, flips PENDING -> FAILED unless the
  worker has already claimed the transaction (then the message was delivered and it will settle);
- the worker claims a PENDING transaction before writing the ledger, then flips it to SETTLED.

The worker writes a whole batch in TransactWriteItems requests (conditional updates, up to 100 per
request): a request applies all of its updates or none, so one whose condition fails is reported
with the item as it is, and the others are sent again without it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from payments.models import AcceptedPayment, Transaction
from payments.storage_schema import TRANSACTION, TransactionStatus

if TYPE_CHECKING:
    from payments.intake import Payment

_NAMES = {"#status": TRANSACTION.status, "#claimed": TRANSACTION.settlement_claimed_at}
TRANSACT_WRITE_LIMIT = 100  # DynamoDB TransactWriteItems: at most 100 actions per request
TRANSACT_ATTEMPTS = 4  # requests per update at most: a failed condition or a conflict elsewhere sends it again
# Cancellation reasons of an update that did nothing wrong itself: send it again.
_RETRYABLE = frozenset({"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


class PaymentMismatchError(ValueError):
    """The transaction id is taken by a different payment (same Idempotency-Key, different body)."""


class SettlementConflictError(RuntimeError):
    """The ledger holds an entry for a transaction DynamoDB does not show as PENDING or SETTLED."""


class UnknownTransactionError(LookupError):
    """The message names a transaction that is not in the transactions table."""


class TransactWriteError(RuntimeError):
    """DynamoDB did not apply a conditional update of a batch (refused it, or kept conflicting)."""


class Claims(msgspec.Struct):
    """The worker's claim of a batch: the payments to settle, the transactions marked FAILED, those to claim
    from the table instead (the payment their message carries is not the stored one), the errors."""

    claimed: dict[UUID, AcceptedPayment] = msgspec.field(default_factory=dict)
    failed: set[UUID] = msgspec.field(default_factory=set)
    from_table: list[UUID] = msgspec.field(default_factory=list)
    errors: dict[UUID, Exception] = msgspec.field(default_factory=dict)

    def add(self, transaction: Transaction) -> None:
        """A transaction claimed now or earlier, as stored."""
        if transaction.status == TransactionStatus.FAILED:
            self.failed.add(transaction.transaction_id)
        else:
            self.claimed[transaction.transaction_id] = transaction.accepted()


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> dict[str, str]:
    return {"S": moment.astimezone(UTC).isoformat(timespec="microseconds")}


def _conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _transaction(item: dict[str, Any]) -> Transaction:
    """An item as stored: strings ({"S": ...}) and numbers ({"N": "1250"}, as text, which msgspec converts to the
    field's type when not strict)."""
    plain = {name: value.get("S", value.get("N")) for name, value in item.items()}
    return msgspec.convert(plain, Transaction, strict=False)


class TransactionStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def _key(self, transaction_id: UUID) -> dict[str, dict[str, str]]:
        return {TRANSACTION.transaction_id: {"S": str(transaction_id)}}

    def record_pending(self, transaction_id: UUID, payment: Payment, now: datetime) -> Transaction:
        """Write the transaction PENDING, or resume the one an earlier attempt wrote; return it as stored.

        A transaction an earlier attempt marked FAILED (it could not be enqueued) becomes PENDING
        again. A different payment under the same id raises PaymentMismatchError.
        """
        item = self._pending_item(transaction_id, payment, now)
        try:
            self._put_pending(item)
        except ClientError as error:
            if not _conditional_failure(error):
                raise
            existing = error.response.get("Item") or {}
        else:
            return _transaction(item)
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
            return msgspec.structs.replace(transaction, status=TransactionStatus.PENDING)
        return transaction

    def _pending_item(self, transaction_id: UUID, payment: Payment, now: datetime) -> dict[str, Any]:
        return {
            **self._key(transaction_id),
            TRANSACTION.status: {"S": TransactionStatus.PENDING.value},
            TRANSACTION.amount_minor: {"N": str(payment.amount_minor)},
            TRANSACTION.currency: {"S": payment.currency},
            TRANSACTION.merchant_id: {"S": payment.merchant_id},
            TRANSACTION.payment_method_token: {"S": payment.payment_method_token},
            TRANSACTION.created_at: _timestamp(now),
            TRANSACTION.updated_at: _timestamp(now),
        }

    def _put_pending(self, item: dict[str, Any]) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=item,
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

    def claim_batch(self, payments: Sequence[AcceptedPayment], now: datetime) -> Claims:
        """Claim each PENDING transaction that is exactly the payment given (TransactWriteItems).

        A transaction already SETTLED is claimed as stored (a redelivery finishes what an earlier
        attempt started); one marked FAILED is reported as such; one absent is an error of its
        message; one PENDING with another payment is left to `claim_for_settlement`, which settles
        the stored payment: what a message carries never reaches the ledger unchecked.
        """
        claims = Claims()
        by_id = {payment.transaction_id: payment for payment in payments}
        applied, refused, claims.errors = self._transact(
            {transaction_id: self._claim_update(payment, now) for transaction_id, payment in by_id.items()}
        )
        claims.claimed.update({transaction_id: by_id[transaction_id] for transaction_id in applied})
        for transaction_id, item in refused.items():
            if not item:
                claims.errors[transaction_id] = UnknownTransactionError(
                    f"transaction {transaction_id} is not in the transactions table"
                )
            elif _transaction(item).status == TransactionStatus.PENDING:
                claims.from_table.append(transaction_id)
            else:
                claims.add(_transaction(item))
        return claims

    def _claim_update(self, payment: AcceptedPayment, now: datetime) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._key(payment.transaction_id),
            "UpdateExpression": "SET #claimed = if_not_exists(#claimed, :now)",
            "ConditionExpression": (
                "#status = :pending AND #amount = :amount AND #currency = :currency"
                " AND #merchant = :merchant AND #created = :created"
            ),
            "ExpressionAttributeNames": {
                **_NAMES,
                "#amount": TRANSACTION.amount_minor,
                "#currency": TRANSACTION.currency,
                "#merchant": TRANSACTION.merchant_id,
                "#created": TRANSACTION.created_at,
            },
            "ExpressionAttributeValues": {
                ":pending": {"S": TransactionStatus.PENDING.value},
                ":now": _timestamp(now),
                ":amount": {"N": str(payment.amount_minor)},
                ":currency": {"S": payment.currency},
                ":merchant": {"S": payment.merchant_id},
                ":created": _timestamp(payment.accepted_at),
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def mark_settled_batch(self, settled_at: Mapping[UUID, datetime]) -> dict[UUID, Exception]:
        """PENDING -> SETTLED for each (TransactWriteItems); already SETTLED is fine (redelivery), anything
        else is a conflict. Returns the errors by transaction id."""
        _, refused, errors = self._transact(
            {transaction_id: self._settle_update(transaction_id, at) for transaction_id, at in settled_at.items()}
        )
        for transaction_id, item in refused.items():
            status = item.get(TRANSACTION.status, {}).get("S")
            if status != TransactionStatus.SETTLED:
                errors[transaction_id] = SettlementConflictError(
                    f"transaction {transaction_id} has a ledger entry but its DynamoDB status is {status}: "
                    "investigate before redriving this message"
                )
        return errors

    def _settle_update(self, transaction_id: UUID, settled_at: datetime) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._key(transaction_id),
            "UpdateExpression": "SET #status = :settled, #settled = :at, #updated = :at",
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {
                "#status": TRANSACTION.status,
                "#settled": TRANSACTION.settled_at,
                "#updated": TRANSACTION.updated_at,
            },
            "ExpressionAttributeValues": {
                ":settled": {"S": TransactionStatus.SETTLED.value},
                ":pending": {"S": TransactionStatus.PENDING.value},
                ":at": _timestamp(settled_at),
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def _transact(
        self, updates: Mapping[UUID, dict[str, Any]]
    ) -> tuple[set[UUID], dict[UUID, dict[str, Any]], dict[UUID, Exception]]:
        """Apply conditional updates in TransactWriteItems requests of up to 100.

        Returns (applied, condition failed -> the item as stored, {} when there is none, errors). An
        update whose condition failed, or that DynamoDB refused, is left out of the next request;
        the others of its request were not applied and are sent again (conflicting ones after a
        short pause), at most TRANSACT_ATTEMPTS times.
        """
        applied: set[UUID] = set()
        refused: dict[UUID, dict[str, Any]] = {}
        errors: dict[UUID, Exception] = {}
        pending = list(updates)
        for attempt in range(1, TRANSACT_ATTEMPTS + 1):
            retry: list[UUID] = []
            conflicted = False
            for chunk in _chunks(pending, TRANSACT_WRITE_LIMIT):
                try:
                    self._client.transact_write_items(TransactItems=[{"Update": updates[key]} for key in chunk])
                except ClientError as error:
                    reasons = error.response.get("CancellationReasons")
                    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException" or not reasons:
                        errors.update({key: error for key in chunk})
                        continue
                    for key, reason in zip(chunk, reasons, strict=True):
                        code = str(reason.get("Code"))
                        if code == "ConditionalCheckFailed":
                            refused[key] = reason.get("Item") or {}
                        elif code in _RETRYABLE:
                            retry.append(key)
                            conflicted = conflicted or code != "None"
                        else:
                            errors[key] = TransactWriteError(f"DynamoDB refused the update of {key}: {code}")
                except BotoCoreError as error:
                    errors.update({key: error for key in chunk})
                else:
                    applied.update(chunk)
            pending = retry
            if not pending:
                break
            if conflicted and attempt < TRANSACT_ATTEMPTS:
                time.sleep(0.05 * attempt)
        errors.update(
            {key: TransactWriteError(f"the update of {key} kept conflicting with other writes") for key in pending}
        )
        return applied, refused, errors

    def get(self, transaction_id: UUID) -> Transaction | None:
        response = self._client.get_item(TableName=self._table, Key=self._key(transaction_id), ConsistentRead=True)
        item = response.get("Item")
        return _transaction(item) if item else None


def _chunks(keys: Sequence[UUID], size: int) -> Iterable[Sequence[UUID]]:
    return (keys[start : start + size] for start in range(0, len(keys), size))

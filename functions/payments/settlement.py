"""Settles a batch of transactions: claim (DynamoDB), ledger (PostgreSQL), SETTLED (DynamoDB), audit (S3),
notify (SNS), in as few calls and sequential round trips as the services allow.

1. Claim every transaction: one conditional TransactWriteItems update each, per 100, holding only
   if the stored transaction is PENDING and exactly the payment its message carries. A transaction
   whose message carries no payment, or another one, is claimed with a conditional update of its
   own, which returns the stored item: the ledger only ever gets the stored payment.
2. One ledger transaction for the whole batch: multi-row inserts, `ON CONFLICT DO NOTHING`; if
   PostgreSQL refuses a row, the batch is written row by row and only the refused rows fail.
3. For the transactions not yet notified: `PENDING -> SETTLED` (TransactWriteItems again) and, at
   the same time, the batch's S3 audit object (one JSON line per transaction).
4. In one ledger transaction, claim the notifications (multi-row insert), publish the claimed ones
   (SNS PublishBatch, 10 per request), withdraw the claims of the ones SNS refused, and commit. A
   concurrent delivery of the same messages waits on the claims until that commit, then finds the
   published ones taken and the refused ones free: each transaction is notified once. A crash
   between publishing and committing republishes, and subscribers drop that repeat by its
   deduplication id.

A 10-message batch therefore costs four AWS calls, as a 1-message batch does: two
TransactWriteItems, one audit object and one PublishBatch. Every step is safe to repeat, so a
redelivered message finishes what an earlier attempt started and never writes twice. A failure is
tracked per transaction and reported per message, so the rest of the batch settles and only the
failed messages are retried (then dead-lettered).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar
from uuid import UUID

from aws_lambda_powertools.metrics import MetricUnit

from payments import metric_names
from payments.audit import AuditObject, audit_objects, write_audit_object
from payments.database import Database
from payments.ledger import (
    LedgerRecord,
    claim_notifications,
    record_settlements,
    record_settlements_row_by_row,
    release_notification_claims,
)
from payments.models import AcceptedPayment
from payments.notifications import PUBLISH_BATCH_LIMIT, Settled, publish_settled_batch
from payments.observability import logger, metrics
from payments.pg import is_data_error
from payments.settings import SettlementWorkerSettings
from payments.transactions import Claims, TransactionStore, UnknownTransactionError, utc_now

T = TypeVar("T")
K = TypeVar("K")


class Settler:
    def __init__(
        self,
        *,
        settings: SettlementWorkerSettings,
        database: Database,
        store: TransactionStore,
        s3: Any,
        sns: Any,
        pool: Executor,
    ) -> None:
        self._settings = settings
        self._database = database
        self._store = store
        self._s3 = s3
        self._sns = sns
        self._pool = pool

    def close(self) -> None:
        """Close the database connection and stop the pool (the end of an execution environment)."""
        self._database.close()
        self._pool.shutdown(wait=True)

    def settle_batch(
        self, messages: Mapping[str, UUID], carried: Mapping[UUID, AcceptedPayment]
    ) -> dict[str, Exception]:
        """Settle the messages (message id -> transaction id; `carried`: the payment a message carries, by
        transaction id); return why each failed message failed, by message id.

        A message missing from the result is done: settled, already settled, or deliberately skipped.
        """
        by_transaction: dict[UUID, list[str]] = {}
        for message_id, transaction_id in messages.items():
            by_transaction.setdefault(transaction_id, []).append(message_id)
        errors: dict[UUID, Exception] = {}

        payments = self._claim(list(by_transaction), carried, errors)
        records = self._record(payments, errors)
        pending = [
            Settled(payment, records[payment.transaction_id])
            for payment in payments
            if payment.transaction_id in records
        ]
        already = [item for item in pending if item.ledger.notified]
        completed = self._complete([item for item in pending if not item.ledger.notified], errors)
        notified, taken = self._notify(completed, errors)

        self._count(metric_names.SETTLEMENT_REDELIVERED, len(already) + len(taken))
        for item in notified:
            latency_ms = (item.ledger.settled_at - item.payment.accepted_at).total_seconds() * 1000
            metrics.add_metric(name=metric_names.TRANSACTION_LATENCY, unit=MetricUnit.Milliseconds, value=latency_ms)
            logger.info(
                "transaction settled",
                extra={
                    "transaction_id": str(item.payment.transaction_id),
                    "ledger_entry_id": item.ledger.entry_id,
                    "latency_ms": latency_ms,
                },
            )
        self._count(metric_names.PAYMENT_SETTLED, len(notified))
        if already or taken:
            logger.info(
                "transactions already settled by an earlier or concurrent delivery; acknowledged",
                extra={"transaction_ids": [str(item.payment.transaction_id) for item in [*already, *taken]]},
            )
        return {
            message_id: errors[transaction_id]
            for transaction_id, message_ids in by_transaction.items()
            if transaction_id in errors
            for message_id in message_ids
        }

    def _concurrently(self, work: Callable[[T], object], items: Iterable[tuple[K, T]]) -> dict[K, Exception]:
        """Run `work(item)` for every item on the pool; return the failures by key."""
        futures = [(key, self._pool.submit(work, item)) for key, item in items]
        failures: dict[K, Exception] = {}
        for key, future in futures:
            error = future.exception()
            if isinstance(error, Exception) and key not in failures:
                failures[key] = error
            elif error is not None and not isinstance(error, Exception):
                raise error
        return failures

    def _claim(
        self, transaction_ids: Sequence[UUID], carried: Mapping[UUID, AcceptedPayment], errors: dict[UUID, Exception]
    ) -> list[AcceptedPayment]:
        """Claim each PENDING transaction; return the payments to settle (claimed now or before), in batch order."""
        now = utc_now()
        with_payment = [carried[transaction_id] for transaction_id in transaction_ids if transaction_id in carried]
        claims = self._store.claim_batch(with_payment, now) if with_payment else Claims()

        def claim_from_table(transaction_id: UUID) -> None:
            transaction = self._store.claim_for_settlement(transaction_id, now)
            if transaction is None:
                raise UnknownTransactionError(f"transaction {transaction_id} is not in the transactions table")
            claims.add(transaction)

        from_table = [key for key in transaction_ids if key not in carried] + claims.from_table
        claims.errors.update(self._concurrently(claim_from_table, ((key, key) for key in from_table)))
        errors.update(claims.errors)
        if claims.failed:
            logger.warning(
                "transactions were marked FAILED before settlement; not settling them",
                extra={"transaction_ids": [str(transaction_id) for transaction_id in sorted(claims.failed, key=str)]},
            )
            self._count(metric_names.SETTLEMENT_SKIPPED, len(claims.failed))
        return [
            claims.claimed[transaction_id] for transaction_id in transaction_ids if transaction_id in claims.claimed
        ]

    def _record(self, payments: list[AcceptedPayment], errors: dict[UUID, Exception]) -> dict[UUID, LedgerRecord]:
        """One ledger transaction for the batch; if PostgreSQL refuses a row, one more that leaves out the
        refused rows. Any other failure fails every transaction of the batch (nothing is written)."""
        if not payments:
            return {}
        try:
            try:
                return self._database.in_transaction(lambda connection: record_settlements(connection, payments))
            except Exception as error:
                if not is_data_error(error):
                    raise
                logger.warning("PostgreSQL refused a ledger row of the batch; writing the rows one by one")
            records, refused = self._database.in_transaction(
                lambda connection: record_settlements_row_by_row(connection, payments)
            )
        except Exception as error:
            errors.update({payment.transaction_id: error for payment in payments})
            return {}
        errors.update(refused)
        return records

    def _complete(self, items: list[Settled], errors: dict[UUID, Exception]) -> list[Settled]:
        """DynamoDB SETTLED for all the items while their audit object is written; return the items done."""
        settings = self._settings
        settled = self._pool.submit(
            self._store.mark_settled_batch,
            {item.payment.transaction_id: item.ledger.settled_at for item in items},
        )

        def write(audit: AuditObject) -> None:
            write_audit_object(self._s3, settings.audit_bucket_name, settings.audit_kms_key_arn, audit)

        objects = audit_objects([(item.payment, item.ledger) for item in items])
        failures: dict[UUID, Exception] = {}
        for audit, error in self._concurrently(write, ((audit, audit) for audit in objects)).items():
            failures.update(dict.fromkeys(audit.transaction_ids, error))
        try:
            for transaction_id, error in settled.result().items():
                failures.setdefault(transaction_id, error)
        except Exception as error:
            failures.update({item.payment.transaction_id: error for item in items})
        errors.update(failures)
        return [item for item in items if item.payment.transaction_id not in failures]

    def _publish(self, items: list[Settled]) -> dict[UUID, Exception]:
        """PublishBatch requests of up to 10, concurrently; return the refused notifications."""
        chunks = [items[start : start + PUBLISH_BATCH_LIMIT] for start in range(0, len(items), PUBLISH_BATCH_LIMIT)]
        refused: dict[UUID, Exception] = {}
        settings = self._settings
        futures = [
            (chunk, self._pool.submit(publish_settled_batch, self._sns, settings.notification_topic_arn, chunk))
            for chunk in chunks
        ]
        for chunk, future in futures:
            try:
                refused.update(future.result())
            except Exception as error:  # the whole request failed: every entry in it is refused
                refused.update({item.payment.transaction_id: error for item in chunk})
        return refused

    def _notify(self, items: list[Settled], errors: dict[UUID, Exception]) -> tuple[list[Settled], list[Settled]]:
        """Claim, publish, withdraw the refused claims, commit; return (notified now, notified by another delivery)."""
        if not items:
            return [], []

        def claim_and_publish(connection: Any) -> tuple[list[Settled], list[Settled], dict[UUID, Exception]]:
            claimed_ids = claim_notifications(connection, [item.payment.transaction_id for item in items])
            claimed = [item for item in items if item.payment.transaction_id in claimed_ids]
            taken = [item for item in items if item.payment.transaction_id not in claimed_ids]
            refused = self._publish(claimed)
            if refused:  # so a retry notifies them; the published ones' claims are never let go
                release_notification_claims(connection, list(refused))
            published = [item for item in claimed if item.payment.transaction_id not in refused]
            return published, taken, refused

        try:
            published, taken, refused = self._database.in_transaction(claim_and_publish)
        except Exception as error:
            errors.update({item.payment.transaction_id: error for item in items})
            return [], []
        errors.update(refused)
        return published, taken

    @staticmethod
    def _count(metric: str, value: int) -> None:
        if value:
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)

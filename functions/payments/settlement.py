"""Settles a batch of transactions: claim (DynamoDB), ledger (PostgreSQL), SETTLED (DynamoDB), audit (S3),
notify (SNS), with as few sequential round trips as the services allow.

1. Claim every transaction (conditional per-item updates, run concurrently).
2. One ledger transaction for the whole batch: multi-row inserts, `ON CONFLICT DO NOTHING`.
3. For each transaction not yet notified, DynamoDB `PENDING -> SETTLED` and the S3 audit object,
   all concurrently.
4. In one ledger transaction, claim the notifications (multi-row insert), publish the claimed ones
   (SNS PublishBatch) and commit. A concurrent delivery of the same messages waits on the claims
   and then finds them taken, so each transaction is notified once; a crash between publishing and
   committing republishes, and subscribers drop that repeat by its deduplication id.

Every step is safe to repeat, so a redelivered message finishes what an earlier attempt started
and never writes twice. A failure is tracked per transaction and reported per message, so the
rest of the batch settles and only the failed messages are retried (then dead-lettered).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar
from uuid import UUID

from aws_lambda_powertools.metrics import MetricUnit

from payments import metric_names
from payments.audit import write_audit_record
from payments.database import Database
from payments.ledger import LedgerRecord, claim_notifications, record_settlements
from payments.models import SettlementMessage, Transaction
from payments.notifications import PUBLISH_BATCH_LIMIT, Settled, publish_settled_batch
from payments.observability import logger, metrics, tracer
from payments.settings import SettlementWorkerSettings
from payments.storage_schema import TransactionStatus
from payments.transactions import TransactionStore, utc_now

T = TypeVar("T")
K = TypeVar("K")


class UnknownTransactionError(LookupError):
    """The message names a transaction that is not in the transactions table."""


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

    @tracer.capture_method(capture_response=False)
    def settle_batch(self, messages: Mapping[str, SettlementMessage]) -> dict[str, Exception]:
        """Settle the messages (message id -> message); return why each failed one failed, by message id.

        A message missing from the result is done: settled, already settled, or deliberately skipped.
        """
        by_transaction: dict[UUID, list[str]] = {}
        for message_id, message in messages.items():
            by_transaction.setdefault(message.transaction_id, []).append(message_id)
        errors: dict[UUID, Exception] = {}

        transactions = self._claim(list(by_transaction), errors)
        records = self._record(transactions, errors)
        pending = [
            Settled(transaction, records[transaction.transaction_id])
            for transaction in transactions
            if transaction.transaction_id in records
        ]
        already = [item for item in pending if item.ledger.notified]
        completed = self._complete([item for item in pending if not item.ledger.notified], errors)
        notified, taken = self._notify(completed, errors)

        self._count(metric_names.SETTLEMENT_REDELIVERED, len(already) + len(taken))
        for item in notified:
            latency_ms = (item.ledger.settled_at - item.transaction.created_at).total_seconds() * 1000
            metrics.add_metric(name=metric_names.TRANSACTION_LATENCY, unit=MetricUnit.Milliseconds, value=latency_ms)
            logger.info(
                "transaction settled",
                extra={
                    "transaction_id": str(item.transaction.transaction_id),
                    "ledger_entry_id": item.ledger.entry_id,
                    "latency_ms": latency_ms,
                },
            )
        self._count(metric_names.PAYMENT_SETTLED, len(notified))
        if already or taken:
            logger.info(
                "transactions already settled by an earlier or concurrent delivery; acknowledged",
                extra={"transaction_ids": [str(item.transaction.transaction_id) for item in [*already, *taken]]},
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

    def _claim(self, transaction_ids: Sequence[UUID], errors: dict[UUID, Exception]) -> list[Transaction]:
        """Claim each PENDING transaction (concurrently); return those to settle (claimed now or before)."""
        now = utc_now()
        found: dict[UUID, Transaction] = {}

        def claim(transaction_id: UUID) -> None:
            transaction = self._store.claim_for_settlement(transaction_id, now)
            if transaction is None:
                raise UnknownTransactionError(f"transaction {transaction_id} is not in the transactions table")
            found[transaction_id] = transaction

        errors.update(
            self._concurrently(claim, ((transaction_id, transaction_id) for transaction_id in transaction_ids))
        )
        skipped = [transaction_id for transaction_id, item in found.items() if item.status == TransactionStatus.FAILED]
        if skipped:
            logger.warning(
                "transactions were marked FAILED before settlement; not settling them",
                extra={"transaction_ids": [str(transaction_id) for transaction_id in skipped]},
            )
            self._count(metric_names.SETTLEMENT_SKIPPED, len(skipped))
        return [
            found[transaction_id]
            for transaction_id in transaction_ids
            if transaction_id in found and transaction_id not in skipped
        ]

    def _record(self, transactions: list[Transaction], errors: dict[UUID, Exception]) -> dict[UUID, LedgerRecord]:
        """One ledger transaction for the batch; on failure every transaction in it fails (nothing is written)."""
        if not transactions:
            return {}
        try:
            return self._database.in_transaction(lambda connection: record_settlements(connection, transactions))
        except Exception as error:
            errors.update({transaction.transaction_id: error for transaction in transactions})
            return {}

    def _complete(self, items: list[Settled], errors: dict[UUID, Exception]) -> list[Settled]:
        """DynamoDB SETTLED and the S3 audit object of every item, all concurrently; return the items done."""
        settings = self._settings

        def mark_settled(item: Settled) -> None:
            self._store.mark_settled(item.transaction.transaction_id, item.ledger.settled_at)

        def write_audit(item: Settled) -> None:
            write_audit_record(
                self._s3, settings.audit_bucket_name, settings.audit_kms_key_arn, item.transaction, item.ledger
            )

        tasks = [
            (item.transaction.transaction_id, (step, item)) for item in items for step in (mark_settled, write_audit)
        ]
        failures = self._concurrently(lambda task: task[0](task[1]), tasks)
        errors.update(failures)
        return [item for item in items if item.transaction.transaction_id not in failures]

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
                refused.update({item.transaction.transaction_id: error for item in chunk})
        return refused

    def _notify(self, items: list[Settled], errors: dict[UUID, Exception]) -> tuple[list[Settled], list[Settled]]:
        """Claim, publish, commit; return (notified now, notified by a concurrent delivery)."""
        if not items:
            return [], []

        def claim_and_publish(connection: Any) -> tuple[list[Settled], list[Settled], dict[UUID, Exception]]:
            connection.run("SAVEPOINT before_claims")
            claimed_ids = claim_notifications(connection, [item.transaction.transaction_id for item in items])
            claimed = [item for item in items if item.transaction.transaction_id in claimed_ids]
            taken = [item for item in items if item.transaction.transaction_id not in claimed_ids]
            refused = self._publish(claimed)
            published = [item for item in claimed if item.transaction.transaction_id not in refused]
            if refused:  # release the refused claims so a retry notifies them; keep the published ones
                connection.run("ROLLBACK TO SAVEPOINT before_claims")
                if published:
                    claim_notifications(connection, [item.transaction.transaction_id for item in published])
            return published, taken, refused

        try:
            published, taken, refused = self._database.in_transaction(claim_and_publish)
        except Exception as error:
            errors.update({item.transaction.transaction_id: error for item in items})
            return [], []
        errors.update(refused)
        return published, taken

    @staticmethod
    def _count(metric: str, value: int) -> None:
        if value:
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)

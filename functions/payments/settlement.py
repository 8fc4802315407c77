"""Settles one transaction: claim, ledger (PostgreSQL), SETTLED (DynamoDB), audit (S3), notify (SNS).

Every step is safe to repeat, so a redelivered message finishes what an earlier attempt started
and never writes twice: the ledger insert is unique on the transaction id, the DynamoDB update is
conditional, the audit object is rewritten with identical bytes, and the notification is sent
only while PostgreSQL shows none was sent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from payments import metric_names
from payments.audit import write_audit_record
from payments.database import Database
from payments.ledger import mark_notified, record_settlement
from payments.models import SettlementMessage
from payments.notifications import publish_settled
from payments.observability import logger, metrics, tracer
from payments.settings import SettlementWorkerSettings
from payments.storage_schema import TransactionStatus
from payments.transactions import TransactionStore, utc_now


class UnknownTransactionError(LookupError):
    """The message names a transaction that is not in the transactions table."""


class Settler:
    def __init__(
        self,
        settings: SettlementWorkerSettings,
        database: Database,
        store: TransactionStore,
        s3: Any,
        sns: Any,
    ) -> None:
        self._settings = settings
        self._database = database
        self._store = store
        self._s3 = s3
        self._sns = sns

    @tracer.capture_method
    def settle(self, message: SettlementMessage) -> None:
        transaction = self._store.claim_for_settlement(message.transaction_id, utc_now())
        if transaction is None:
            raise UnknownTransactionError(f"transaction {message.transaction_id} is not in the transactions table")
        if transaction.status == TransactionStatus.FAILED:
            logger.warning("transaction was marked FAILED before settlement; not settling it")
            metrics.add_metric(name=metric_names.SETTLEMENT_SKIPPED, unit=MetricUnit.Count, value=1)
            return

        ledger = self._database.in_transaction(lambda connection: record_settlement(connection, transaction))
        if ledger.notified:
            logger.info("transaction already settled; redelivered message acknowledged")
            metrics.add_metric(name=metric_names.SETTLEMENT_REDELIVERED, unit=MetricUnit.Count, value=1)
            return
        self._store.mark_settled(transaction.transaction_id, ledger.settled_at)
        settings = self._settings
        write_audit_record(self._s3, settings.audit_bucket_name, settings.audit_kms_key_arn, transaction, ledger)
        publish_settled(self._sns, settings.notification_topic_arn, transaction, ledger)
        completed = self._database.in_transaction(
            lambda connection: mark_notified(connection, transaction.transaction_id)
        )
        if not completed:
            logger.info("a concurrent delivery of this message completed the settlement first")
            metrics.add_metric(name=metric_names.SETTLEMENT_REDELIVERED, unit=MetricUnit.Count, value=1)
            return
        latency_ms = (ledger.settled_at - transaction.created_at).total_seconds() * 1000
        metrics.add_metric(name=metric_names.TRANSACTION_LATENCY, unit=MetricUnit.Milliseconds, value=latency_ms)
        metrics.add_metric(name=metric_names.PAYMENT_SETTLED, unit=MetricUnit.Count, value=1)
        logger.info("transaction settled", extra={"ledger_entry_id": ledger.entry_id, "latency_ms": latency_ms})

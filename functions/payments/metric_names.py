"""Names of the custom CloudWatch metrics (namespace POWERTOOLS_METRICS_NAMESPACE, default 'Payments').

Pure constants for the observability layer's dashboards and alarms. Every metric carries one
dimension, `service` (POWERTOOLS_SERVICE_NAME, default 'payments').
"""

from __future__ import annotations

NAMESPACE = "Payments"
SERVICE_DIMENSION = "service"

TRANSACTION_LATENCY = "TransactionLatency"
"""Milliseconds from acceptance (202) to the ledger entry, once per transaction, when its settlement completes."""
PAYMENT_ACCEPTED = "PaymentAccepted"
"""Count of new transactions recorded and enqueued (replays not counted)."""
PAYMENT_REPLAYED = "PaymentReplayed"
"""Count of requests answered from the idempotency record (same Idempotency-Key, same body)."""
PAYMENT_REJECTED = "PaymentRejected"
"""Count of process-payment requests answered with a 4xx."""
PAYMENT_ERRORED = "PaymentErrored"
"""Count of process-payment requests answered with a 5xx."""
ENQUEUE_FAILED = "EnqueueFailed"
"""Count of transactions that could not be enqueued (client got 503, record marked FAILED)."""
PAYMENT_SETTLED = "PaymentSettled"
"""Count of transactions whose settlement completed (redeliveries not counted)."""
SETTLEMENT_FAILED = "SettlementFailed"
"""Count of queue messages reported back as failed (they retry, then go to the DLQ)."""
SETTLEMENT_REDELIVERED = "SettlementRedelivered"
"""Count of messages for transactions already settled (SQS at-least-once delivery; nothing re-written)."""
SETTLEMENT_SKIPPED = "SettlementSkipped"
"""Count of messages for transactions that were marked FAILED before settlement (never settled)."""

"""Ledger writes: the entry and its settlement row commit together, once per transaction id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from payments.models import Transaction


@dataclass(frozen=True)
class LedgerRecord:
    entry_id: int
    settled_at: datetime
    notified: bool


def record_settlement(connection: Any, transaction: Transaction) -> LedgerRecord:
    """Insert the ledger entry and settlement row (nothing if they exist); call inside one transaction."""
    inserted = connection.run(
        "INSERT INTO ledger_entries (transaction_id, merchant_id, amount_minor, currency, accepted_at)"
        " VALUES (CAST(:id AS uuid), :merchant, :amount, :currency, :accepted)"
        " ON CONFLICT (transaction_id) DO NOTHING RETURNING entry_id",
        id=str(transaction.transaction_id),
        merchant=transaction.merchant_id,
        amount=transaction.amount_minor,
        currency=transaction.currency,
        accepted=transaction.created_at,
    )
    if inserted:
        connection.run(
            "INSERT INTO settlements (transaction_id) VALUES (CAST(:id AS uuid))", id=str(transaction.transaction_id)
        )
    ((entry_id, settled_at, notified_at),) = connection.run(
        "SELECT l.entry_id, s.settled_at, s.notified_at FROM ledger_entries l"
        " JOIN settlements s USING (transaction_id) WHERE l.transaction_id = CAST(:id AS uuid)",
        id=str(transaction.transaction_id),
    )
    return LedgerRecord(entry_id=entry_id, settled_at=settled_at, notified=notified_at is not None)


def mark_notified(connection: Any, transaction_id: UUID) -> bool:
    """Record that the notification went out; False if another attempt recorded it first."""
    updated = connection.run(
        "UPDATE settlements SET notified_at = now()"
        " WHERE transaction_id = CAST(:id AS uuid) AND notified_at IS NULL RETURNING transaction_id",
        id=str(transaction_id),
    )
    return bool(updated)

"""Ledger writes, a batch at a time: the entries and their settlement rows, and the notification claims.

Every statement is multi-row (arrays unnested server-side) and idempotent (`ON CONFLICT DO
NOTHING`), so a batch costs the same few round trips whatever its size, and a redelivery writes
nothing. Rows are written in transaction-id order, so concurrent batches that overlap lock in the
same order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def record_settlements(connection: Any, transactions: Sequence[Transaction]) -> dict[UUID, LedgerRecord]:
    """Insert each transaction's ledger entry and settlement row (nothing for those that exist) and
    return the ledger state of every one of them; call inside one transaction."""
    ordered = sorted(transactions, key=lambda transaction: str(transaction.transaction_id))
    ids = [str(transaction.transaction_id) for transaction in ordered]
    connection.run(
        "WITH batch AS ("
        " SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:merchants AS text[]), CAST(:amounts AS bigint[]),"
        " CAST(:currencies AS text[]), CAST(:accepted AS timestamptz[]))"
        " AS b (transaction_id, merchant_id, amount_minor, currency, accepted_at)"
        "), entries AS ("
        " INSERT INTO ledger_entries (transaction_id, merchant_id, amount_minor, currency, accepted_at)"
        " SELECT transaction_id, merchant_id, amount_minor, currency, accepted_at FROM batch ORDER BY transaction_id"
        " ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id"
        ") INSERT INTO settlements (transaction_id) SELECT transaction_id FROM entries ORDER BY transaction_id",
        ids=ids,
        merchants=[transaction.merchant_id for transaction in ordered],
        amounts=[transaction.amount_minor for transaction in ordered],
        currencies=[transaction.currency for transaction in ordered],
        accepted=[transaction.created_at.isoformat() for transaction in ordered],
    )
    # A new statement sees rows a concurrent delivery committed while the insert above waited for them.
    rows = connection.run(
        "SELECT CAST(l.transaction_id AS text), l.entry_id, s.settled_at, n.transaction_id IS NOT NULL"
        " FROM ledger_entries l JOIN settlements s USING (transaction_id)"
        " LEFT JOIN settlement_notifications n USING (transaction_id)"
        " WHERE l.transaction_id = ANY(CAST(:ids AS uuid[]))",
        ids=ids,
    )
    records = {
        UUID(transaction_id): LedgerRecord(entry_id=entry_id, settled_at=settled_at, notified=notified)
        for transaction_id, entry_id, settled_at, notified in rows
    }
    missing = set(ids) - {str(transaction_id) for transaction_id in records}
    if missing:
        raise RuntimeError(f"ledger rows missing after insert for {sorted(missing)}")
    return records


def claim_notifications(connection: Any, transaction_ids: Sequence[UUID]) -> set[UUID]:
    """Claim the right to notify; returns the ids this call claimed (the others were claimed before).

    Call inside the transaction that stays open while the claimed notifications are published: a
    concurrent claim of the same id waits until that transaction ends, then finds the row taken
    (committed) or claims it itself (rolled back: nothing was recorded as published).
    """
    claimed = connection.run(
        "INSERT INTO settlement_notifications (transaction_id)"
        " SELECT id FROM unnest(CAST(:ids AS uuid[])) AS c (id) ORDER BY id"
        " ON CONFLICT (transaction_id) DO NOTHING RETURNING CAST(transaction_id AS text)",
        ids=sorted(str(transaction_id) for transaction_id in transaction_ids),
    )
    return {UUID(row[0]) for row in claimed}

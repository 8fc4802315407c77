"""Ledger writes, a batch at a time: the entries and their settlement rows, and the notification claims.

Every statement is multi-row (arrays unnested server-side) and idempotent (`ON CONFLICT DO
NOTHING`), so a batch costs the same few round trips whatever its size, and a redelivery writes
nothing. Rows are written in transaction-id order, so concurrent batches that overlap lock in the
same order and never deadlock. A row PostgreSQL refuses (a data error: a legacy amount outside
`bigint`, a value a constraint forbids) fails the multi-row statement; the batch is then written
row by row, each under its own savepoint, so only the refused rows are left out and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from msgspec import Struct
from pg8000.exceptions import DatabaseError

from payments.models import AcceptedPayment
from payments.pg import is_data_error, sqlstate


class LedgerRecord(Struct, frozen=True):
    entry_id: int
    settled_at: datetime
    notified: bool


class LedgerRowRefusedError(ValueError):
    """PostgreSQL refused this transaction's ledger row (a data error): it is not in the ledger."""


def record_settlements(connection: Any, payments: Sequence[AcceptedPayment]) -> dict[UUID, LedgerRecord]:
    """Insert each payment's ledger entry and settlement row (nothing for those that exist) and return
    the ledger state of every one of them; call inside one transaction."""
    _insert(connection, payments)
    return _ledger_state(connection, payments)


def record_settlements_row_by_row(
    connection: Any, payments: Sequence[AcceptedPayment]
) -> tuple[dict[UUID, LedgerRecord], dict[UUID, LedgerRowRefusedError]]:
    """`record_settlements` one row at a time, each under a savepoint: the rows PostgreSQL refuses with a
    data error (SQLSTATE class 22 or 23) are left out and returned, the others written; call inside one
    transaction, after the multi-row statement failed with a data error."""
    refused: dict[UUID, LedgerRowRefusedError] = {}
    for payment in _ordered(payments):
        connection.run("SAVEPOINT ledger_row")
        try:
            _insert(connection, [payment])
        except DatabaseError as error:
            if not is_data_error(error):
                raise
            connection.run("ROLLBACK TO SAVEPOINT ledger_row")
            refused[payment.transaction_id] = LedgerRowRefusedError(
                f"PostgreSQL refused the ledger row of transaction {payment.transaction_id} "
                f"(SQLSTATE {sqlstate(error)}): it stays unsettled"
            )
        else:
            connection.run("RELEASE SAVEPOINT ledger_row")
    kept = [payment for payment in payments if payment.transaction_id not in refused]
    return _ledger_state(connection, kept), refused


def _ordered(payments: Sequence[AcceptedPayment]) -> list[AcceptedPayment]:
    return sorted(payments, key=lambda payment: str(payment.transaction_id))


def _insert(connection: Any, payments: Sequence[AcceptedPayment]) -> None:
    ordered = _ordered(payments)
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
        ids=[str(payment.transaction_id) for payment in ordered],
        merchants=[payment.merchant_id for payment in ordered],
        amounts=[payment.amount_minor for payment in ordered],
        currencies=[payment.currency for payment in ordered],
        accepted=[payment.accepted_at.isoformat() for payment in ordered],
    )


def _ledger_state(connection: Any, payments: Sequence[AcceptedPayment]) -> dict[UUID, LedgerRecord]:
    if not payments:
        return {}
    ids = [str(payment.transaction_id) for payment in payments]
    # A new statement sees rows a concurrent delivery committed while the insert waited for them.
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
    (committed) or claims it itself (released, or rolled back: nothing was recorded as published).
    """
    claimed = connection.run(
        "INSERT INTO settlement_notifications (transaction_id)"
        " SELECT id FROM unnest(CAST(:ids AS uuid[])) AS c (id) ORDER BY id"
        " ON CONFLICT (transaction_id) DO NOTHING RETURNING CAST(transaction_id AS text)",
        ids=sorted(str(transaction_id) for transaction_id in transaction_ids),
    )
    return {UUID(row[0]) for row in claimed}


def release_notification_claims(connection: Any, transaction_ids: Sequence[UUID]) -> None:
    """Withdraw claims this transaction made whose notification SNS refused; every other claim stays held.

    Through `release_notification_claims()` (payments/migrations): the writer may not DELETE, and
    the function removes only rows the calling transaction itself inserted, never a committed one.
    A concurrent claim waiting on a released row still waits for this transaction to end.
    """
    connection.run(
        "SELECT release_notification_claims(CAST(:ids AS uuid[]))",
        ids=[str(transaction_id) for transaction_id in transaction_ids],
    )

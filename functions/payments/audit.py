"""The S3 audit records of settlements: one object per settled batch and day, one JSON line per transaction.

The ledger is the record of each transaction; the audit objects are its archive, in a versioned
bucket whose every read and write CloudTrail records. A batch's records share one object, so
settling ten transactions costs one request, not ten, and nothing in them varies between two
writes: a transaction's line is the same bytes whichever object holds it, and the object's key
comes from the transaction ids it holds, so a redelivered batch rewrites the same object with the
same bytes. A transaction redelivered in another batch gets its line again in that batch's
object: deduplicate by `transaction_id`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from msgspec import Struct

from payments.ledger import LedgerRecord
from payments.models import AcceptedPayment
from payments.storage_schema import TransactionStatus

AUDIT_PREFIX = "settlements"


class AuditObject(Struct, frozen=True):
    key: str
    body: bytes
    transaction_ids: tuple[UUID, ...]


def audit_document(payment: AcceptedPayment, ledger: LedgerRecord) -> bytes:
    """One transaction's record: deterministic JSON on one line."""
    record = {
        "record_version": 1,
        "event": "payment.settled",
        "transaction_id": str(payment.transaction_id),
        "ledger_entry_id": ledger.entry_id,
        "merchant_id": payment.merchant_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "status": TransactionStatus.SETTLED.value,
        "accepted_at": payment.accepted_at.isoformat(),
        "settled_at": ledger.settled_at.isoformat(),
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


def audit_objects(settled: Sequence[tuple[AcceptedPayment, LedgerRecord]]) -> list[AuditObject]:
    """The objects of a batch's records: per day of settlement, `settlements/YYYY/MM/DD/<digest>.jsonl`
    holding its transactions' lines in transaction-id order, the digest that of their ids."""
    by_day: dict[date, list[tuple[AcceptedPayment, LedgerRecord]]] = {}
    for payment, ledger in settled:
        by_day.setdefault(ledger.settled_at.date(), []).append((payment, ledger))
    objects = []
    for day, records in sorted(by_day.items()):
        records.sort(key=lambda record: str(record[0].transaction_id))
        ids = tuple(payment.transaction_id for payment, _ in records)
        digest = hashlib.sha256(",".join(str(transaction_id) for transaction_id in ids).encode()).hexdigest()[:32]
        body = b"".join(audit_document(payment, ledger) + b"\n" for payment, ledger in records)
        objects.append(AuditObject(f"{AUDIT_PREFIX}/{day:%Y/%m/%d}/{digest}.jsonl", body, ids))
    return objects


def write_audit_object(client: Any, bucket: str, kms_key_arn: str, audit: AuditObject) -> None:
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn} if kms_key_arn else {}
    client.put_object(Bucket=bucket, Key=audit.key, Body=audit.body, ContentType="application/x-ndjson", **encryption)

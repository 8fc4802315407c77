"""The S3 audit record of a settlement: deterministic JSON, so a redelivery rewrites identical bytes."""

from __future__ import annotations

import json
from typing import Any

from payments.ledger import LedgerRecord
from payments.models import Transaction
from payments.storage_schema import TransactionStatus

AUDIT_PREFIX = "settlements"


def audit_key(transaction: Transaction, ledger: LedgerRecord) -> str:
    return f"{AUDIT_PREFIX}/{ledger.settled_at:%Y/%m/%d}/{transaction.transaction_id}.json"


def audit_document(transaction: Transaction, ledger: LedgerRecord) -> bytes:
    record = {
        "record_version": 1,
        "event": "payment.settled",
        "transaction_id": str(transaction.transaction_id),
        "ledger_entry_id": ledger.entry_id,
        "merchant_id": transaction.merchant_id,
        "amount_minor": transaction.amount_minor,
        "currency": transaction.currency,
        "status": TransactionStatus.SETTLED.value,
        "accepted_at": transaction.created_at.isoformat(),
        "settled_at": ledger.settled_at.isoformat(),
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


def write_audit_record(
    client: Any, bucket: str, kms_key_arn: str, transaction: Transaction, ledger: LedgerRecord
) -> str:
    key = audit_key(transaction, ledger)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn} if kms_key_arn else {}
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=audit_document(transaction, ledger),
        ContentType="application/json",
        **encryption,
    )
    return key

"""The S3 audit record of a settlement: deterministic JSON, so a redelivery rewrites identical bytes."""

from __future__ import annotations

import json
from typing import Any

from payments.ledger import LedgerRecord
from payments.models import AcceptedPayment
from payments.storage_schema import TransactionStatus

AUDIT_PREFIX = "settlements"


def audit_key(payment: AcceptedPayment, ledger: LedgerRecord) -> str:
    return f"{AUDIT_PREFIX}/{ledger.settled_at:%Y/%m/%d}/{payment.transaction_id}.json"


def audit_document(payment: AcceptedPayment, ledger: LedgerRecord) -> bytes:
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


def write_audit_record(
    client: Any, bucket: str, kms_key_arn: str, payment: AcceptedPayment, ledger: LedgerRecord
) -> str:
    key = audit_key(payment, ledger)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn} if kms_key_arn else {}
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=audit_document(payment, ledger),
        ContentType="application/json",
        **encryption,
    )
    return key

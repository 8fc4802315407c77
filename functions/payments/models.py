"""Typed models at the edges: the API request and responses, the queue message, the stored transaction.

msgspec Structs: they validate (types and `Meta` constraints), encode and decode JSON, and give the
request's JSON Schema, for a small part of pydantic's import cost, which every cold start pays
(docs/design.md, "Tracing and cold start of the payment functions"). Patterns end in `\\Z`: Python's
`$` also matches before a final newline (payments.api_schema writes `$` for API Gateway, where it
does not).
"""

# No `from __future__ import annotations`: msgspec reads the Structs' annotations, which as objects it need not
# evaluate from text (payments.settings).
from datetime import datetime
from typing import Annotated
from uuid import UUID

from msgspec import UNSET, Meta, Struct, UnsetType

from payments.settings import CurrencyCode
from payments.storage_schema import TransactionStatus

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"

MerchantId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{3,64}\Z")]
PaymentMethodToken = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{8,128}\Z")]


class PaymentRequest(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Body of POST /process-payment. The API Gateway model is generated from this class."""

    amount_minor: Annotated[
        int,
        Meta(
            ge=1,
            description=(
                "Amount in integer minor units of the currency (cents for USD); at most MAX_AMOUNT_MINOR_UNITS."
            ),
        ),
    ]
    currency: Annotated[CurrencyCode, Meta(description="ISO 4217 alphabetic code from the ALLOWED_CURRENCIES list.")]
    # Optional, but never null: left out, it is UNSET, which the JSON Schema does not offer as a value.
    merchant_id: (
        Annotated[
            MerchantId,
            Meta(
                description=(
                    "Optional: the merchant is the one the caller's API key belongs to; if sent, it must be that "
                    "merchant."
                )
            ),
        ]
        | UnsetType
    ) = UNSET
    payment_method_token: Annotated[
        PaymentMethodToken, Meta(description="Token of a vaulted payment method; never a raw card number.")
    ]


class PaymentAccepted(Struct, frozen=True, kw_only=True):
    """202 answer of POST /process-payment (stored as the idempotent response)."""

    transaction_id: UUID
    status: TransactionStatus = TransactionStatus.PENDING


class AcceptedPayment(Struct, frozen=True, kw_only=True):
    """A transaction as process-payment accepted it, which never changes afterwards: what the ledger entry,
    the audit record and the notification are made of (never the payment method token)."""

    transaction_id: UUID
    merchant_id: str
    amount_minor: int
    currency: str
    accepted_at: datetime


class TransactionView(Struct, frozen=True, kw_only=True):
    """200 answer of GET /verify-payment."""

    transaction_id: UUID
    status: TransactionStatus
    amount_minor: int
    currency: str
    created_at: datetime
    updated_at: datetime
    settled_at: datetime | None


class Transaction(Struct, frozen=True, kw_only=True):
    """One item of the transactions table."""

    transaction_id: UUID
    status: TransactionStatus
    amount_minor: int
    currency: str
    merchant_id: str
    payment_method_token: str
    created_at: datetime
    updated_at: datetime
    settled_at: datetime | None = None

    def accepted(self) -> AcceptedPayment:
        return AcceptedPayment(
            transaction_id=self.transaction_id,
            merchant_id=self.merchant_id,
            amount_minor=self.amount_minor,
            currency=self.currency,
            accepted_at=self.created_at,
        )

    def view(self) -> TransactionView:
        """What verify-payment shows of it (never the payment method token)."""
        return TransactionView(
            transaction_id=self.transaction_id,
            status=self.status,
            amount_minor=self.amount_minor,
            currency=self.currency,
            created_at=self.created_at,
            updated_at=self.updated_at,
            settled_at=self.settled_at,
        )


class SettlementMessage(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Body of a payment-queue message: the transaction id. The transactions table is the source of truth;
    the message's `payment` attribute (payments.queue) only saves the worker reading it."""

    transaction_id: UUID

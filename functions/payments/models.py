"""Typed models at the edges: the API request and responses, the queue message, the stored transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from payments.storage_schema import TransactionStatus

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"

MerchantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{3,64}$")]
PaymentMethodToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,128}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class _Model(BaseModel):
    """Built on first use (`defer_build`): a handler builds the validators of the models its requests use, never
    the others'."""

    model_config = ConfigDict(defer_build=True)


def _optional_not_null(schema: dict[str, Any]) -> None:
    """An optional field may be left out but never sent as null: its schema is the non-null branch alone."""
    (present, *_) = [branch for branch in schema.pop("anyOf") if branch.get("type") != "null"]
    schema.update(present)
    schema.pop("default", None)


class PaymentRequest(_Model):
    """Body of POST /process-payment. The API Gateway model is generated from this class."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="PaymentRequest")

    amount_minor: int = Field(
        ge=1,
        description="Amount in integer minor units of the currency (cents for USD); at most MAX_AMOUNT_MINOR_UNITS.",
    )
    currency: CurrencyCode = Field(description="ISO 4217 alphabetic code from the ALLOWED_CURRENCIES list.")
    merchant_id: MerchantId | None = Field(
        None,
        description=(
            "Optional: the merchant is the one the caller's API key belongs to; if sent, it must be that merchant."
        ),
        json_schema_extra=_optional_not_null,
    )
    payment_method_token: PaymentMethodToken = Field(
        description="Token of a vaulted payment method; never a raw card number."
    )

    @field_validator("merchant_id", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave merchant_id out or send your merchant id; null is not accepted")
        return value


class Payment(_Model):
    """A validated payment as recorded: the request body, with the merchant of the authenticated caller."""

    model_config = ConfigDict(frozen=True)

    amount_minor: int
    currency: str
    merchant_id: str
    payment_method_token: str


class PaymentCommand(_Model):
    """What the idempotency layer sees: a keyed hash of (merchant, Idempotency-Key), never the raw key.

    `idempotency_digest` is the idempotency record's key and `payment` its payload (a replay with
    another payment is refused); `transaction_id` is derived from the same merchant and key.
    """

    model_config = ConfigDict(frozen=True)

    idempotency_digest: str
    transaction_id: UUID
    payment: Payment


class PaymentAccepted(_Model):
    """202 answer of POST /process-payment (stored as the idempotent response)."""

    transaction_id: UUID
    status: Literal[TransactionStatus.PENDING] = TransactionStatus.PENDING


class AcceptedPayment(_Model):
    """A transaction as process-payment accepted it, which never changes afterwards: what the ledger entry,
    the audit record and the notification are made of (never the payment method token)."""

    model_config = ConfigDict(frozen=True)

    transaction_id: UUID
    merchant_id: str
    amount_minor: int
    currency: str
    accepted_at: datetime


class Transaction(_Model):
    """One item of the transactions table."""

    model_config = ConfigDict(frozen=True)

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


class TransactionView(_Model):
    """200 answer of GET /verify-payment."""

    transaction_id: UUID
    status: TransactionStatus
    amount_minor: int
    currency: str
    created_at: datetime
    updated_at: datetime
    settled_at: datetime | None


class SettlementMessage(_Model):
    """Body of a payment-queue message: the transaction id. The transactions table is the source of truth;
    the message's `payment` attribute (payments.queue) only saves the worker reading it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transaction_id: UUID

"""Every environment variable the handlers read, in one place.

The application layer sets these on the Lambda functions: `ENVIRONMENT_VARIABLES` lists them all
(name -> description) and `HANDLER_ENVIRONMENT` says which handler reads which. Each handler
validates its own settings model once per cold start and fails with one message naming every
missing or invalid variable.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

POSTGRES_BIGINT_MAX = 2**63 - 1
"""Largest PostgreSQL `bigint`: the type of `ledger_entries.amount_minor` (payments/migrations)."""

# How long the API functions keep an answer of the merchants table, and the most they may: the bound on
# how long a revoked API key keeps working on the ALB door (API Gateway refuses a deleted key at once).
MERCHANTS_MAX_AGE_SECONDS = 60
MERCHANTS_MAX_AGE_LIMIT_SECONDS = 300

# Amazon Linux's system trust store: it holds the Amazon roots that sign RDS Proxy's (ACM) certificates.
DEFAULT_DB_CA_BUNDLE_PATH = "/etc/pki/tls/certs/ca-bundle.crt"


class ConfigurationError(RuntimeError):
    """The function's environment variables are missing or invalid (a deployment problem)."""


class _EnvironmentModel(BaseModel):
    # Built on first use: a handler validates its own settings class, once per execution environment,
    # and never builds the other handlers'.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=False, defer_build=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """Validate the variables this model declares; report every problem at once."""
        names = {field.alias for field in cls.model_fields.values()}
        try:
            return cls.model_validate({name: value for name, value in environ.items() if name in names})
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
                for item in error.errors(include_url=False, include_input=False)
            )
            raise ConfigurationError(
                f"{cls.__name__}: fix these Lambda environment variables (see payments/settings.py): {problems}"
            ) from None


class CoreSettings(_EnvironmentModel):
    """Read by every handler."""

    service_name: str = Field(
        "payments",
        alias="POWERTOOLS_SERVICE_NAME",
        min_length=1,
        description="Service name on every log line, trace and metric (Powertools).",
    )
    metrics_namespace: str = Field(
        "Payments",
        alias="POWERTOOLS_METRICS_NAMESPACE",
        min_length=1,
        description="CloudWatch namespace of the custom metrics; dashboards and alarms expect 'Payments'.",
    )
    log_level: str = Field(
        "INFO",
        alias="POWERTOOLS_LOG_LEVEL",
        pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$",
        description="Log level of the JSON logs (DEBUG, INFO, WARNING, ERROR, CRITICAL).",
    )
    transactions_table_name: str = Field(
        alias="TRANSACTIONS_TABLE_NAME",
        min_length=3,
        description="DynamoDB table of payment transactions (key schema: payments.storage_schema).",
    )


class MerchantScopedSettings(CoreSettings):
    """Read by the handlers behind API Gateway: who the caller is (payments.merchants)."""

    merchants_table_name: str = Field(
        alias="MERCHANTS_TABLE_NAME",
        min_length=3,
        description=(
            "DynamoDB table of API key -> merchant (payments.storage_schema.MERCHANTS_TABLE), written by the deploy "
            "and read with GetItem only; a request whose key has no merchant there gets 403."
        ),
    )
    merchants_max_age_seconds: int = Field(
        MERCHANTS_MAX_AGE_SECONDS,
        alias="MERCHANTS_MAX_AGE_SECONDS",
        ge=0,
        le=MERCHANTS_MAX_AGE_LIMIT_SECONDS,
        description=(
            f"How long an answer of the merchants table is kept before it is read again (default "
            f"{MERCHANTS_MAX_AGE_SECONDS}, at most {MERCHANTS_MAX_AGE_LIMIT_SECONDS}): the longest a revoked key "
            "keeps working on the ALB door (functions/README.md)."
        ),
    )


class VerifyPaymentSettings(MerchantScopedSettings):
    """Read by verify-payment."""


class ProcessPaymentSettings(MerchantScopedSettings):
    """Read by process-payment."""

    idempotency_table_name: str = Field(
        alias="IDEMPOTENCY_TABLE_NAME",
        min_length=3,
        description="DynamoDB table of Powertools idempotency records (TTL attribute 'expiration').",
    )
    idempotency_ttl_seconds: int = Field(
        86_400,
        alias="IDEMPOTENCY_TTL_SECONDS",
        ge=60,
        description="How long an Idempotency-Key is remembered, in seconds (default 24 hours).",
    )
    payment_queue_url: str = Field(
        alias="PAYMENT_QUEUE_URL",
        pattern=r"^https?://",
        description="URL of the SQS queue the settlement worker consumes.",
    )
    max_amount_minor: int = Field(
        10_000_000,
        alias="MAX_AMOUNT_MINOR_UNITS",
        ge=1,
        description=(
            "Largest accepted amount, in minor units of the currency (default 10000000); at most "
            f"{POSTGRES_BIGINT_MAX}, the range of the ledger's bigint amount column."
        ),
    )
    allowed_currencies: frozenset[CurrencyCode] = Field(
        frozenset({"USD", "EUR", "GBP"}),
        alias="ALLOWED_CURRENCIES",
        min_length=1,
        description="Comma-separated ISO 4217 codes accepted by process-payment (default USD,EUR,GBP).",
    )
    max_request_body_bytes: int = Field(
        4096,
        alias="MAX_REQUEST_BODY_BYTES",
        ge=256,
        le=1_048_576,
        description="Largest accepted request body in bytes; larger bodies get 413 (default 4096).",
    )

    key_hash_parameter_name: str = Field(
        alias="KEY_HASH_PARAMETER_NAME",
        pattern=r"^/[A-Za-z0-9/_.-]+$",
        description=(
            "SSM SecureString parameter (random, at least 32 characters) keying the HMAC of Idempotency-Keys, "
            "derived transaction ids and API-key digests; never rotate it in place (see functions/README.md)."
        ),
    )

    @field_validator("max_amount_minor")
    @classmethod
    def _fits_the_ledger(cls, value: int) -> int:
        if value > POSTGRES_BIGINT_MAX:
            raise ValueError(f"must be at most {POSTGRES_BIGINT_MAX}: amounts are stored in a PostgreSQL bigint column")
        return value

    @field_validator("allowed_currencies", mode="before")
    @classmethod
    def _split_currencies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(code.strip() for code in value.split(",") if code.strip())
        return value


class SettlementWorkerSettings(CoreSettings):
    """Read by the settlement worker."""

    notification_topic_arn: str = Field(
        alias="NOTIFICATION_TOPIC_ARN",
        pattern=r"^arn:aws[a-z-]*:sns:",
        description="SNS topic that receives one notification per settled transaction.",
    )
    audit_bucket_name: str = Field(
        alias="AUDIT_BUCKET_NAME",
        min_length=3,
        description="S3 bucket for the JSON audit record of every settlement.",
    )
    audit_kms_key_arn: str = Field(
        "",
        alias="AUDIT_KMS_KEY_ARN",
        description="KMS key for SSE-KMS on audit objects; empty uses the bucket's default encryption.",
    )
    db_writer_user: str = Field(
        alias="DB_WRITER_USER",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description=(
            "PostgreSQL role of the ledger writer (INSERT and SELECT only): the worker signs in as it with an IAM "
            "token (rds-db:connect) through the proxy; the migration step provisions it, without a password."
        ),
    )
    db_proxy_endpoint: str = Field(
        alias="DB_PROXY_ENDPOINT",
        min_length=1,
        description="Host name of the RDS Proxy (or database) endpoint; TLS verifies it (verify-full).",
    )
    db_port: int = Field(5432, alias="DB_PORT", ge=1, le=65535, description="PostgreSQL port (default 5432).")
    db_name: str = Field(alias="DB_NAME", min_length=1, description="PostgreSQL database holding the ledger.")
    db_ca_bundle_path: str = Field(
        DEFAULT_DB_CA_BUNDLE_PATH,
        alias="DB_CA_BUNDLE_PATH",
        min_length=1,
        description=(
            "PEM file of the CAs trusted for the database's TLS certificate (default: Amazon Linux trust "
            "store, which signs RDS Proxy; connecting to RDS directly needs the RDS global bundle)."
        ),
    )
    db_connect_timeout_seconds: float = Field(
        5.0,
        alias="DB_CONNECT_TIMEOUT_SECONDS",
        gt=0,
        le=60,
        description="Socket timeout for connecting to and querying PostgreSQL, in seconds (default 5).",
    )


def _same_as(model: type[_EnvironmentModel], field: str) -> Any:
    """Another model's field, declared once: same variable, default, constraints and description."""
    return copy.copy(model.model_fields[field])


class MigrateLedgerSettings(_EnvironmentModel):
    """Read by the ledger migration step (`payments.handlers.migrate_ledger`), invoked once per deploy."""

    service_name: str = _same_as(CoreSettings, "service_name")
    log_level: str = _same_as(CoreSettings, "log_level")
    db_owner_secret_arn: str = Field(
        alias="DB_OWNER_SECRET_ARN",
        pattern=r"^arn:aws[a-z-]*:secretsmanager:",
        description=(
            "Secrets Manager secret of the role that owns the ledger ('username'/'password' JSON; the RDS "
            "master secret): runs the migrations and the writer role's grants. Migration step only."
        ),
    )
    db_writer_user: str = _same_as(SettlementWorkerSettings, "db_writer_user")
    db_proxy_endpoint: str = _same_as(SettlementWorkerSettings, "db_proxy_endpoint")
    db_port: int = _same_as(SettlementWorkerSettings, "db_port")
    db_name: str = _same_as(SettlementWorkerSettings, "db_name")
    db_ca_bundle_path: str = _same_as(SettlementWorkerSettings, "db_ca_bundle_path")
    db_connect_timeout_seconds: float = _same_as(SettlementWorkerSettings, "db_connect_timeout_seconds")
    db_secret_max_age_seconds: int = Field(
        300,
        alias="DB_SECRET_MAX_AGE_SECONDS",
        ge=0,
        description="How long the owner's secret is cached before it is read again (default 300).",
    )


class AlbApiSettings(ProcessPaymentSettings):
    """Read by the ALB entry point: everything process-payment and verify-payment read (it runs them), the
    key-hash parameter and the merchants table included, against which it checks `x-api-key`."""


_HANDLER_SETTINGS: dict[str, type[_EnvironmentModel]] = {
    "payments.handlers.process_payment.handler": ProcessPaymentSettings,
    "payments.handlers.verify_payment.handler": VerifyPaymentSettings,
    "payments.handlers.alb_api.handler": AlbApiSettings,
    "payments.handlers.settlement_worker.handler": SettlementWorkerSettings,
    "payments.handlers.migrate_ledger.handler": MigrateLedgerSettings,
}


def _describe(model: type[_EnvironmentModel]) -> dict[str, str]:
    return {str(field.alias): str(field.description) for field in model.model_fields.values()}


HANDLER_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    handler: tuple(_describe(model)) for handler, model in _HANDLER_SETTINGS.items()
}
"""Handler entry point -> the environment variables it reads."""

ENVIRONMENT_VARIABLES: dict[str, str] = {
    name: description for model in _HANDLER_SETTINGS.values() for name, description in _describe(model).items()
}
"""Every environment variable any handler reads -> one-line description."""

HANDLER_REQUIRED_ENVIRONMENT: dict[str, frozenset[str]] = {
    handler: frozenset(str(field.alias) for field in model.model_fields.values() if field.is_required())
    for handler, model in _HANDLER_SETTINGS.items()
}
"""Handler entry point -> the variables it cannot start without (no default): the deployment must set them."""

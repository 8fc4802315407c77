"""Every environment variable the handlers read, in one place.

The application layer sets these on the Lambda functions: `ENVIRONMENT_VARIABLES` lists them all
(name -> description) and `HANDLER_ENVIRONMENT` says which handler reads which. Each handler
validates its own settings model once per cold start and fails with one message naming every
missing or invalid variable. The models are msgspec Structs (payments.models says why): a field's
`Meta` holds its constraints and description, its `name` the variable.
"""

# No `from __future__ import annotations`: msgspec reads the fields' annotations, and as objects rather than
# text it has nothing to evaluate (which cost every cold start about 10 ms).
import functools
from collections.abc import Mapping
from typing import Annotated, Any, Self, get_args

import msgspec
from msgspec import NODEFAULT, Meta, field

from payments.ledger_roles import ROLE_NAME_PATTERN
from payments.validation import InvalidFields, convert

# Declared here, and read by the request model too (payments.models): every handler imports its settings, while
# the migration step has no use for the request models.
CurrencyCode = Annotated[str, Meta(pattern=r"^[A-Z]{3}\Z")]

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


def _description(annotation: Any) -> str:
    """The description in a field's `Meta`."""
    return next(str(meta.description) for meta in get_args(annotation)[1:] if isinstance(meta, Meta))


def _from_text(text: str, annotation: Any) -> Any:
    """A variable's text as msgspec converts it: a set of values is written comma-separated (`USD, EUR`)."""
    info = msgspec.inspect.type_info(annotation)
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    if isinstance(info, msgspec.inspect.FrozenSetType):
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


@functools.cache
def _fields(model: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    """A model's fields, read once (msgspec reads every annotation of the model, its bases' too, at each call)."""
    return msgspec.structs.fields(model)


class _EnvironmentModel(msgspec.Struct, frozen=True, kw_only=True):
    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """Validate the variables this model declares; report every problem at once."""
        fields = _fields(cls)
        variables = {
            field.encode_name: _from_text(environ[field.encode_name], field.type)
            for field in fields
            if field.encode_name in environ
        }
        try:
            # Not strict: variables are text, which becomes the numbers the fields declare.
            return convert(variables, cls, strict=False)
        except InvalidFields as error:
            descriptions = {field.encode_name: _description(field.type) for field in fields}
            problems = "; ".join(
                f"{name}: {problem} [{descriptions[name]}]" for name, problem in error.problems.items()
            )
            raise ConfigurationError(
                f"{cls.__name__}: fix these Lambda environment variables (see payments/settings.py): {problems}"
            ) from None


ServiceName = Annotated[
    str, Meta(min_length=1, description="Service name on every log line, trace and metric (Powertools).")
]
LogLevel = Annotated[
    str,
    Meta(
        pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)\Z",
        description="Log level of the JSON logs (DEBUG, INFO, WARNING, ERROR, CRITICAL).",
    ),
]


class CoreSettings(_EnvironmentModel, frozen=True, kw_only=True):
    """Read by every handler."""

    service_name: ServiceName = field(default="payments", name="POWERTOOLS_SERVICE_NAME")
    metrics_namespace: Annotated[
        str,
        Meta(
            min_length=1,
            description="CloudWatch namespace of the custom metrics; dashboards and alarms expect 'Payments'.",
        ),
    ] = field(default="Payments", name="POWERTOOLS_METRICS_NAMESPACE")
    log_level: LogLevel = field(default="INFO", name="POWERTOOLS_LOG_LEVEL")
    transactions_table_name: Annotated[
        str,
        Meta(
            min_length=3,
            description="DynamoDB table of payment transactions (key schema: payments.storage_schema).",
        ),
    ] = field(name="TRANSACTIONS_TABLE_NAME")


class MerchantScopedSettings(CoreSettings, frozen=True, kw_only=True):
    """Read by the handlers behind API Gateway: who the caller is (payments.merchants)."""

    merchants_table_name: Annotated[
        str,
        Meta(
            min_length=3,
            description=(
                "DynamoDB table of API key -> merchant (payments.storage_schema.MERCHANTS_TABLE), written by the "
                "deploy and read with GetItem only; a request whose key has no merchant there gets 403."
            ),
        ),
    ] = field(name="MERCHANTS_TABLE_NAME")
    merchants_max_age_seconds: Annotated[
        int,
        Meta(
            ge=0,
            le=MERCHANTS_MAX_AGE_LIMIT_SECONDS,
            description=(
                f"How long an answer of the merchants table is kept before it is read again (default "
                f"{MERCHANTS_MAX_AGE_SECONDS}, at most {MERCHANTS_MAX_AGE_LIMIT_SECONDS}): the longest a revoked "
                "key keeps working on the ALB door (functions/README.md)."
            ),
        ),
    ] = field(default=MERCHANTS_MAX_AGE_SECONDS, name="MERCHANTS_MAX_AGE_SECONDS")


class VerifyPaymentSettings(MerchantScopedSettings, frozen=True, kw_only=True):
    """Read by verify-payment."""


class ProcessPaymentSettings(MerchantScopedSettings, frozen=True, kw_only=True):
    """Read by process-payment."""

    idempotency_table_name: Annotated[
        str,
        Meta(
            min_length=3,
            description="DynamoDB table of Powertools idempotency records (TTL attribute 'expiration').",
        ),
    ] = field(name="IDEMPOTENCY_TABLE_NAME")
    idempotency_ttl_seconds: Annotated[
        int,
        Meta(ge=60, description="How long an Idempotency-Key is remembered, in seconds (default 24 hours)."),
    ] = field(default=86_400, name="IDEMPOTENCY_TTL_SECONDS")
    payment_queue_url: Annotated[
        str, Meta(pattern=r"^https?://", description="URL of the SQS queue the settlement worker consumes.")
    ] = field(name="PAYMENT_QUEUE_URL")
    max_amount_minor: Annotated[
        int,
        Meta(
            ge=1,
            le=POSTGRES_BIGINT_MAX,
            description=(
                "Largest accepted amount, in minor units of the currency (default 10000000); at most "
                f"{POSTGRES_BIGINT_MAX}, the range of the ledger's bigint amount column."
            ),
        ),
    ] = field(default=10_000_000, name="MAX_AMOUNT_MINOR_UNITS")
    allowed_currencies: Annotated[
        frozenset[CurrencyCode],
        Meta(
            min_length=1,
            description="Comma-separated ISO 4217 codes accepted by process-payment (default USD,EUR,GBP).",
        ),
    ] = field(default=frozenset({"USD", "EUR", "GBP"}), name="ALLOWED_CURRENCIES")
    max_request_body_bytes: Annotated[
        int,
        Meta(
            ge=256,
            le=1_048_576,
            description="Largest accepted request body in bytes; larger bodies get 413 (default 4096).",
        ),
    ] = field(default=4096, name="MAX_REQUEST_BODY_BYTES")

    key_hash_parameter_name: Annotated[
        str,
        Meta(
            pattern=r"^/[A-Za-z0-9/_.-]+\Z",
            description=(
                "SSM SecureString parameter (random, at least 32 characters) keying the HMAC of Idempotency-Keys, "
                "derived transaction ids and API-key digests; never rotate it in place (see functions/README.md)."
            ),
        ),
    ] = field(name="KEY_HASH_PARAMETER_NAME")


DbProxyEndpoint = Annotated[
    str,
    Meta(
        min_length=1,
        description="Host name of the RDS Proxy (or database) endpoint; TLS verifies it (verify-full).",
    ),
]
DbPort = Annotated[int, Meta(ge=1, le=65535, description="PostgreSQL port (default 5432).")]
DbName = Annotated[str, Meta(min_length=1, description="PostgreSQL database holding the ledger.")]
DbCaBundlePath = Annotated[
    str,
    Meta(
        min_length=1,
        description=(
            "PEM file of the CAs trusted for the database's TLS certificate (default: Amazon Linux trust "
            "store, which signs RDS Proxy; connecting to RDS directly needs the RDS global bundle)."
        ),
    ),
]
DbConnectTimeoutSeconds = Annotated[
    float,
    Meta(
        gt=0,
        le=60,
        description="Socket timeout for connecting to and querying PostgreSQL, in seconds (default 5).",
    ),
]
DbWriterUser = Annotated[
    str,
    Meta(
        pattern=ROLE_NAME_PATTERN,
        description=(
            "PostgreSQL role of the ledger writer (INSERT and SELECT only): the worker signs in as it with an IAM "
            "token (rds-db:connect) through the proxy; the migration step provisions it, without a password."
        ),
    ),
]


class SettlementWorkerSettings(CoreSettings, frozen=True, kw_only=True):
    """Read by the settlement worker."""

    notification_topic_arn: Annotated[
        str,
        Meta(
            pattern=r"^arn:aws[a-z-]*:sns:",
            description="SNS topic that receives one notification per settled transaction.",
        ),
    ] = field(name="NOTIFICATION_TOPIC_ARN")
    audit_bucket_name: Annotated[
        str, Meta(min_length=3, description="S3 bucket for the JSON audit record of every settlement.")
    ] = field(name="AUDIT_BUCKET_NAME")
    audit_kms_key_arn: Annotated[
        str, Meta(description="KMS key for SSE-KMS on audit objects; empty uses the bucket's default encryption.")
    ] = field(default="", name="AUDIT_KMS_KEY_ARN")
    db_writer_user: DbWriterUser = field(name="DB_WRITER_USER")
    db_proxy_endpoint: DbProxyEndpoint = field(name="DB_PROXY_ENDPOINT")
    db_port: DbPort = field(default=5432, name="DB_PORT")
    db_name: DbName = field(name="DB_NAME")
    db_ca_bundle_path: DbCaBundlePath = field(default=DEFAULT_DB_CA_BUNDLE_PATH, name="DB_CA_BUNDLE_PATH")
    db_connect_timeout_seconds: DbConnectTimeoutSeconds = field(default=5.0, name="DB_CONNECT_TIMEOUT_SECONDS")


def _same_as(model: type[_EnvironmentModel], name: str) -> Any:
    """Another model's field, declared once: same variable and default (the shared annotation gives its
    constraints and description)."""
    (same,) = (info for info in _fields(model) if info.name == name)
    return field(default=NODEFAULT if same.required else same.default, name=same.encode_name)


class MigrateLedgerSettings(_EnvironmentModel, frozen=True, kw_only=True):
    """Read by the ledger migration step (`payments.handlers.migrate_ledger`), invoked once per deploy."""

    service_name: ServiceName = _same_as(CoreSettings, "service_name")
    log_level: LogLevel = _same_as(CoreSettings, "log_level")
    db_owner_secret_arn: Annotated[
        str,
        Meta(
            pattern=r"^arn:aws[a-z-]*:secretsmanager:",
            description=(
                "Secrets Manager secret of the role that owns the ledger ('username'/'password' JSON; the RDS "
                "master secret): runs the migrations and the writer role's grants. Migration step only."
            ),
        ),
    ] = field(name="DB_OWNER_SECRET_ARN")
    db_writer_user: DbWriterUser = _same_as(SettlementWorkerSettings, "db_writer_user")
    db_proxy_endpoint: DbProxyEndpoint = _same_as(SettlementWorkerSettings, "db_proxy_endpoint")
    db_port: DbPort = _same_as(SettlementWorkerSettings, "db_port")
    db_name: DbName = _same_as(SettlementWorkerSettings, "db_name")
    db_ca_bundle_path: DbCaBundlePath = _same_as(SettlementWorkerSettings, "db_ca_bundle_path")
    db_connect_timeout_seconds: DbConnectTimeoutSeconds = _same_as(
        SettlementWorkerSettings, "db_connect_timeout_seconds"
    )
    db_secret_max_age_seconds: Annotated[
        int, Meta(ge=0, description="How long the owner's secret is cached before it is read again (default 300).")
    ] = field(default=300, name="DB_SECRET_MAX_AGE_SECONDS")


class AlbApiSettings(ProcessPaymentSettings, frozen=True, kw_only=True):
    """Read by the ALB entry point: everything process-payment and verify-payment read (it runs them), the
    key-hash parameter and the merchants table included, against which it checks `x-api-key`."""


_HANDLER_SETTINGS: dict[str, type[_EnvironmentModel]] = {
    "payments.handlers.process_payment.handler": ProcessPaymentSettings,
    "payments.handlers.verify_payment.handler": VerifyPaymentSettings,
    "payments.handlers.alb_api.handler": AlbApiSettings,
    "payments.handlers.settlement_worker.handler": SettlementWorkerSettings,
    "payments.handlers.migrate_ledger.handler": MigrateLedgerSettings,
}


def _variables(model: type[_EnvironmentModel]) -> dict[str, msgspec.structs.FieldInfo]:
    return {info.encode_name: info for info in _fields(model)}


HANDLER_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    handler: tuple(_variables(model)) for handler, model in _HANDLER_SETTINGS.items()
}
"""Handler entry point -> the environment variables it reads."""

ENVIRONMENT_VARIABLES: dict[str, str] = {
    name: _description(info.type) for model in _HANDLER_SETTINGS.values() for name, info in _variables(model).items()
}
"""Every environment variable any handler reads -> one-line description."""

HANDLER_REQUIRED_ENVIRONMENT: dict[str, frozenset[str]] = {
    handler: frozenset(name for name, info in _variables(model).items() if info.required)
    for handler, model in _HANDLER_SETTINGS.items()
}
"""Handler entry point -> the variables it cannot start without (no default): the deployment must set them."""

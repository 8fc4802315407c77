"""The contracts other layers read: settings, table schemas, the API Gateway model, metric names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pg8000.native
import pytest
from payment_support import VALID_BODY

from payments import api_schema, metric_names, settings, storage_schema
from payments.card_numbers import contains_card_number, passes_luhn
from payments.models import PaymentRequest
from payments.validation import InvalidFields, convert
from testkit.pg_server import PostgresServer

MIGRATIONS = Path(settings.__file__).parent / "migrations"

WORKER_ENVIRONMENT = {
    "TRANSACTIONS_TABLE_NAME": "transactions-dev",
    "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:notifications-dev",
    "AUDIT_BUCKET_NAME": "audit-dev",
    "DB_WRITER_USER": "payments_ledger_writer",
    "DB_PROXY_ENDPOINT": "proxy-dev.proxy-abc.us-east-1.rds.amazonaws.com",
    "DB_NAME": "payments",
}


def test_environment_variables_cover_every_setting_of_every_handler() -> None:
    variables = settings.ENVIRONMENT_VARIABLES
    assert set(settings.HANDLER_ENVIRONMENT) == {
        "payments.handlers.process_payment.handler",
        "payments.handlers.verify_payment.handler",
        "payments.handlers.settlement_worker.handler",
        "payments.handlers.migrate_ledger.handler",
        "payments.handlers.alb_api.handler",
    }
    used = {name for names in settings.HANDLER_ENVIRONMENT.values() for name in names}
    assert used == set(variables)
    for required in (
        "TRANSACTIONS_TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "PAYMENT_QUEUE_URL",
        "NOTIFICATION_TOPIC_ARN",
        "AUDIT_BUCKET_NAME",
        "DB_OWNER_SECRET_ARN",
        "DB_WRITER_USER",
        "DB_PROXY_ENDPOINT",
        "DB_PORT",
        "DB_NAME",
        "DB_CA_BUNDLE_PATH",
        "MAX_AMOUNT_MINOR_UNITS",
        "ALLOWED_CURRENCIES",
        "POWERTOOLS_LOG_LEVEL",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    ):
        assert variables[required].strip(), required


def test_worker_settings_defaults_and_parsing() -> None:
    loaded = settings.SettlementWorkerSettings.from_environ({**WORKER_ENVIRONMENT, "DB_PORT": "6432"})

    assert loaded.db_port == 6432
    assert loaded.metrics_namespace == metric_names.NAMESPACE == "Payments"
    assert loaded.db_ca_bundle_path == settings.DEFAULT_DB_CA_BUNDLE_PATH


def test_currency_allow_list_is_parsed_from_a_comma_separated_list() -> None:
    loaded = settings.ProcessPaymentSettings.from_environ(
        {
            "TRANSACTIONS_TABLE_NAME": "transactions-dev",
            "IDEMPOTENCY_TABLE_NAME": "idempotency-dev",
            "PAYMENT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/payments-dev",
            "KEY_HASH_PARAMETER_NAME": "/key-hash-dev-d01",
            "MERCHANTS_TABLE_NAME": "merchants-dev-d01",
            "ALLOWED_CURRENCIES": " USD, EUR ,CHF",
        }
    )

    assert loaded.allowed_currencies == frozenset({"USD", "EUR", "CHF"})


def test_configuration_errors_name_every_bad_variable_at_once() -> None:
    with pytest.raises(settings.ConfigurationError) as raised:
        settings.SettlementWorkerSettings.from_environ({"DB_PORT": "not-a-port", "ALLOWED_CURRENCIES": "x"})

    message = str(raised.value)
    for name in ("TRANSACTIONS_TABLE_NAME", "NOTIFICATION_TOPIC_ARN", "DB_WRITER_USER", "DB_PORT", "DB_NAME"):
        assert name in message
    assert "not-a-port" not in message, "values (possibly secrets) are never echoed"


PROCESS_ENVIRONMENT = {
    "TRANSACTIONS_TABLE_NAME": "transactions-dev",
    "IDEMPOTENCY_TABLE_NAME": "idempotency-dev",
    "PAYMENT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/payments-dev",
    "KEY_HASH_PARAMETER_NAME": "/key-hash-dev-d01",
    "MERCHANTS_TABLE_NAME": "merchants-dev-d01",
}


def test_the_amount_limit_must_fit_the_ledgers_bigint_column() -> None:
    migrations = "".join(path.read_text() for path in sorted(MIGRATIONS.glob("*.sql")))
    assert re.search(r"\bamount_minor\s+bigint\b", migrations), "the bound below assumes a bigint column"
    largest = settings.ProcessPaymentSettings.from_environ(
        {**PROCESS_ENVIRONMENT, "MAX_AMOUNT_MINOR_UNITS": str(2**63 - 1)}
    )
    assert largest.max_amount_minor == settings.POSTGRES_BIGINT_MAX == 2**63 - 1

    with pytest.raises(settings.ConfigurationError, match=r"MAX_AMOUNT_MINOR_UNITS: .*bigint"):
        settings.ProcessPaymentSettings.from_environ({**PROCESS_ENVIRONMENT, "MAX_AMOUNT_MINOR_UNITS": str(2**63)})


def test_the_bigint_bound_is_postgresqls(postgres: PostgresServer) -> None:
    connection = postgres.connect()
    try:
        assert connection.run("SELECT CAST(:v AS bigint)", v=str(settings.POSTGRES_BIGINT_MAX)) == [[2**63 - 1]]
        with pytest.raises(pg8000.native.DatabaseError, match="out of range"):
            connection.run("SELECT CAST(:v AS bigint)", v=str(settings.POSTGRES_BIGINT_MAX + 1))
    finally:
        connection.close()


def test_storage_schema_imports_nothing_heavy() -> None:
    code = (
        "import sys, payments.storage_schema, payments.api_schema, payments.metric_names;"
        "heavy = [m for m in ('boto3', 'botocore', 'aws_lambda_powertools', 'pg8000') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_table_schemas_in_dynamodb_api_shape() -> None:
    assert storage_schema.TRANSACTIONS_TABLE.key_schema() == [{"AttributeName": "transaction_id", "KeyType": "HASH"}]
    assert storage_schema.TRANSACTIONS_TABLE.ttl_attribute is None
    assert storage_schema.IDEMPOTENCY_TABLE.attribute_definitions() == [{"AttributeName": "id", "AttributeType": "S"}]
    assert storage_schema.IDEMPOTENCY_TABLE.ttl_attribute == "expiration"
    with pytest.raises(AttributeError):
        storage_schema.TRANSACTIONS_TABLE.hash_key = "other"  # type: ignore[misc]


def _validator() -> jsonschema.Draft4Validator:
    schema = api_schema.payment_request_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_payment_request_schema_is_draft_4_and_strict() -> None:
    schema = api_schema.payment_request_schema()

    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(VALID_BODY) - {"merchant_id"}, "the merchant comes from the API key"
    assert schema["properties"]["merchant_id"]["type"] == "string", "optional, but never null"
    text = json.dumps(schema)
    for later_keyword in ('"const"', '"$defs"', '"$ref"', '"anyOf"', '"examples"'):
        assert later_keyword not in text


def test_schema_accepts_a_valid_request_and_rejects_unknown_fields() -> None:
    validator = _validator()

    assert list(validator.iter_errors(VALID_BODY)) == []
    errors = list(validator.iter_errors({**VALID_BODY, "card_number": "x"}))
    assert [error.validator for error in errors] == ["additionalProperties"]


@pytest.mark.parametrize(
    "body",
    [
        {**VALID_BODY, "amount_minor": 0},
        {**VALID_BODY, "amount_minor": 12.5},
        {**VALID_BODY, "amount_minor": "1250"},
        {**VALID_BODY, "amount_minor": True},
        {**VALID_BODY, "currency": "usd"},
        {**VALID_BODY, "merchant_id": "a b"},
        {**VALID_BODY, "merchant_id": None},
        {**VALID_BODY, "payment_method_token": "short"},
        {k: v for k, v in VALID_BODY.items() if k != "currency"},
        {**VALID_BODY, "extra": 1},
    ],
)
def test_schema_and_model_agree_on_invalid_bodies(body: dict[str, Any]) -> None:
    assert list(_validator().iter_errors(body)), "API Gateway would let this through"
    with pytest.raises(InvalidFields):
        convert(body, PaymentRequest)


def test_exclusive_bounds_and_const_are_rewritten_for_draft_4() -> None:
    converted = api_schema._to_draft4({"type": "object", "properties": {"a": {"exclusiveMinimum": 0, "const": 1}}})

    assert converted["properties"]["a"] == {"minimum": 0, "exclusiveMinimum": True, "enum": [1]}
    with pytest.raises(ValueError, match="flat"):
        api_schema._to_draft4({"$defs": {}})


def test_verify_takes_only_a_required_query_parameter() -> None:
    assert api_schema.verify_request_parameters() == {"method.request.querystring.transaction_id": True}


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "x378282246310005y",
        "ref 12 4111 1111 1111 1111",
    ],
)
def test_card_numbers_are_detected(text: str) -> None:
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111130",
        "411111111111",
        "0000000000000",
        "pm_tok_abcdefgh",
        "1250",
        "2026-11-21T10:00:00Z",
        "1" + "0" * 30,
    ],
)
def test_non_card_numbers_are_not_flagged(text: str) -> None:
    assert not contains_card_number(text)


def test_luhn() -> None:
    assert passes_luhn("79927398713")
    assert not passes_luhn("79927398710")


def test_readme_documents_every_environment_variable() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()

    missing = [name for name in settings.ENVIRONMENT_VARIABLES if f"| `{name}` |" not in readme]
    assert missing == []

"""Stored Idempotency-Key hashes and transaction ids are keyed (HMAC under a Secrets Manager secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest
from payment_support import submit

from payments import execution_environment
from payments.settings import ConfigurationError
from testkit.aws_support import (
    IDEMPOTENCY_TABLE_NAME,
    TRANSACTIONS_TABLE_NAME,
    AwsResources,
    create_key_hash_secret,
    table_items,
)
from testkit.lambda_support import body_of

KEY = "key-0001-test"


def _secret(aws: AwsResources) -> bytes:
    value = aws.client("secretsmanager").get_secret_value(SecretId=aws.key_hash_secret_arn)["SecretString"]
    return str(value).encode()


def _hmac_transaction_id(secret: bytes, merchant_id: str, key: str) -> str:
    """The documented derivation, written out independently of payments.key_hashing."""
    message = json.dumps(["transaction-id", merchant_id, key], separators=(",", ":")).encode()
    raw = bytearray(hmac.new(secret, message, hashlib.sha256).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def _stored(aws: AwsResources) -> str:
    return json.dumps(table_items(aws, IDEMPOTENCY_TABLE_NAME) + table_items(aws, TRANSACTIONS_TABLE_NAME))


def test_the_transaction_id_is_an_hmac_of_merchant_and_key(aws: AwsResources, env: dict[str, str]) -> None:
    transaction_id = body_of(submit(key=KEY))["transaction_id"]

    assert transaction_id == _hmac_transaction_id(_secret(aws), "merchant-001", KEY)
    assert uuid.UUID(transaction_id).version == 8
    unkeyed = uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:payments:transaction"), KEY)
    assert transaction_id != str(unkeyed)


def test_nothing_stored_is_an_unkeyed_hash_of_the_key(aws: AwsResources, env: dict[str, str]) -> None:
    submit(key=KEY)

    stored = _stored(aws)
    assert KEY not in stored
    for text in (KEY, json.dumps(KEY)):
        for algorithm in ("md5", "sha1", "sha256", "sha512"):
            assert hashlib.new(algorithm, text.encode()).hexdigest() not in stored, algorithm


def test_another_secret_gives_other_record_keys_and_transaction_ids(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever lacks the secret cannot recompute (or brute-force a card-shaped key from) what is stored."""
    first = body_of(submit(key=KEY))["transaction_id"]
    first_records = {item["id"]["S"] for item in table_items(aws, IDEMPOTENCY_TABLE_NAME)}
    monkeypatch.setenv("KEY_HASH_SECRET_ARN", create_key_hash_secret(aws.client("secretsmanager"), aws.kms_key_arn))
    execution_environment.clear_caches()

    second = body_of(submit(key=KEY))["transaction_id"]

    second_records = {item["id"]["S"] for item in table_items(aws, IDEMPOTENCY_TABLE_NAME)} - first_records
    assert second != first
    assert len(second_records) == 1


def test_the_secret_is_read_once_per_execution_environment(aws: AwsResources, env: dict[str, str]) -> None:
    assert submit(key=KEY)["statusCode"] == 202
    aws.client("secretsmanager").delete_secret(SecretId=aws.key_hash_secret_arn, ForceDeleteWithoutRecovery=True)

    assert submit(key="key-0002-test")["statusCode"] == 202


def _missing_secret_arn(aws: AwsResources) -> str:
    arn = create_key_hash_secret(aws.client("secretsmanager"), aws.kms_key_arn)
    aws.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    return arn


BAD_SECRETS: dict[str, Any] = {
    "deleted secret": _missing_secret_arn,
    "31 characters": lambda aws: create_key_hash_secret(aws.client("secretsmanager"), aws.kms_key_arn, "k" * 31),
    "empty string": lambda aws: create_key_hash_secret(aws.client("secretsmanager"), aws.kms_key_arn, " "),
    "binary secret": lambda aws: aws.client("secretsmanager").create_secret(
        Name="payments/key-hash-binary", SecretBinary=b"\x01" * 64
    )["ARN"],
}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the invocation failed first
@pytest.mark.parametrize("make_arn", BAD_SECRETS.values(), ids=BAD_SECRETS.keys())
def test_an_unusable_secret_refuses_to_start(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, make_arn: Any
) -> None:
    monkeypatch.setenv("KEY_HASH_SECRET_ARN", make_arn(aws))
    execution_environment.clear_caches()

    with pytest.raises(ConfigurationError, match="KEY_HASH_SECRET_ARN") as raised:
        submit()
    assert "k" * 31 not in str(raised.value), "the secret is never echoed"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_missing_secret_variable_refuses_to_start(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEY_HASH_SECRET_ARN")
    execution_environment.clear_caches()

    with pytest.raises(ConfigurationError, match="KEY_HASH_SECRET_ARN"):
        submit()

"""Stored Idempotency-Key hashes and transaction ids are keyed (HMAC under a SecureString parameter)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
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
    create_key_hash_parameter,
    table_items,
)
from testkit.lambda_support import body_of

KEY = "key-0001-test"


def _secret(aws: AwsResources) -> bytes:
    parameter = aws.client("ssm").get_parameter(Name=aws.key_hash_parameter_name, WithDecryption=True)["Parameter"]
    return str(parameter["Value"]).encode()


def _new_parameter(aws: AwsResources, value: str = "") -> str:
    return create_key_hash_parameter(aws.client("ssm"), aws.kms_key_arn, value or secrets.token_hex(32))


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
    monkeypatch.setenv("KEY_HASH_PARAMETER_NAME", _new_parameter(aws))
    execution_environment.clear_caches()

    second = body_of(submit(key=KEY))["transaction_id"]

    second_records = {item["id"]["S"] for item in table_items(aws, IDEMPOTENCY_TABLE_NAME)} - first_records
    assert second != first
    assert len(second_records) == 1


def test_the_secret_is_read_once_per_execution_environment(aws: AwsResources, env: dict[str, str]) -> None:
    assert submit(key=KEY)["statusCode"] == 202
    aws.client("ssm").delete_parameter(Name=aws.key_hash_parameter_name)

    assert submit(key="key-0002-test")["statusCode"] == 202


def _missing_parameter(aws: AwsResources) -> str:
    name = _new_parameter(aws)
    aws.client("ssm").delete_parameter(Name=name)
    return name


def _plain_string_parameter(aws: AwsResources) -> str:
    """A String parameter (not SecureString): readable, but not decrypted from anything; still a usable key."""
    name = f"/test-{secrets.token_hex(4)}/plain-key-hash"
    aws.client("ssm").put_parameter(Name=name, Value="k" * 31, Type="String")
    return name


BAD_SECRETS: dict[str, Any] = {
    "deleted parameter": _missing_parameter,
    "31 characters": lambda aws: _new_parameter(aws, "k" * 31),
    "blank": lambda aws: _new_parameter(aws, " "),
    "31 characters, not secure": _plain_string_parameter,
}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the invocation failed first
@pytest.mark.parametrize("make_parameter", BAD_SECRETS.values(), ids=BAD_SECRETS.keys())
def test_an_unusable_secret_refuses_to_start(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, make_parameter: Any
) -> None:
    monkeypatch.setenv("KEY_HASH_PARAMETER_NAME", make_parameter(aws))
    execution_environment.clear_caches()

    with pytest.raises(ConfigurationError, match="KEY_HASH_PARAMETER_NAME") as raised:
        submit()
    assert "k" * 31 not in str(raised.value), "the secret is never echoed"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_missing_secret_variable_refuses_to_start(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEY_HASH_PARAMETER_NAME")
    execution_environment.clear_caches()

    with pytest.raises(ConfigurationError, match="KEY_HASH_PARAMETER_NAME"):
        submit()

"""POST /process-payment against moto: accept, replay, conflicts, enqueue failure, card numbers."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from conftest import CapturedOutput
from payment_support import VALID_BODY, assert_nothing_written, error_code, submit

from payments import execution_environment
from payments.handlers import process_payment
from payments.models import AcceptedPayment
from payments.queue import EnqueueError, enqueue_settlement
from payments.settings import ConfigurationError
from payments.transactions import TransactionStore, utc_now
from testkit.aws_support import IDEMPOTENCY_TABLE_NAME, TRANSACTIONS_TABLE_NAME, AwsResources, table_items
from testkit.lambda_support import api_event, body_of, queue_depth


def _messages(aws: AwsResources) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    received = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in received]


def test_accepts_a_payment_records_it_pending_and_enqueues_it(aws: AwsResources, env: dict[str, str]) -> None:
    response = submit()

    assert response["statusCode"] == 202
    body = body_of(response)
    assert set(body) == {"transaction_id", "status"}
    assert body["status"] == "PENDING"
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["transaction_id"] == {"S": body["transaction_id"]}
    assert item["status"] == {"S": "PENDING"}
    assert item["amount_minor"] == {"N": "1250"}
    assert item["currency"] == {"S": "USD"}
    assert item["merchant_id"] == {"S": "merchant-001"}
    (record,) = table_items(aws, IDEMPOTENCY_TABLE_NAME)
    assert record["status"] == {"S": "COMPLETED"}
    assert record["id"]["S"].startswith(f"{process_payment.IDEMPOTENCY_KEY_PREFIX}#")
    assert "key-0001-test" not in json.dumps(record), "the raw Idempotency-Key is stored only hashed"
    assert _messages(aws) == [{"transaction_id": body["transaction_id"]}]


def test_replay_returns_the_first_response_and_does_no_new_work(aws: AwsResources, env: dict[str, str]) -> None:
    first = submit()
    # Same key, same body in another field order and spacing: a replay, not a different body.
    reordered = json.dumps(dict(reversed(list(VALID_BODY.items()))), indent=2)
    second = submit(reordered, key="key-0001-test")

    assert first["statusCode"] == second["statusCode"] == 202
    assert body_of(first) == body_of(second)
    assert len(table_items(aws, TRANSACTIONS_TABLE_NAME)) == 1
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 1


def test_idempotency_key_header_is_case_insensitive(aws: AwsResources, env: dict[str, str]) -> None:
    first = submit()
    event = api_event(
        "POST",
        "/process-payment",
        body=json.dumps(VALID_BODY),
        headers={"content-type": "application/json", "idempotency-key": "key-0001-test"},
    )
    second = submit(event=event)

    assert body_of(first) == body_of(second)
    assert len(table_items(aws, TRANSACTIONS_TABLE_NAME)) == 1


def test_same_key_with_a_different_body_is_422(aws: AwsResources, env: dict[str, str]) -> None:
    submit()
    response = submit({**VALID_BODY, "amount_minor": 9999})

    assert response["statusCode"] == 422
    assert error_code(response) == "IDEMPOTENCY_KEY_REUSED"
    assert len(table_items(aws, TRANSACTIONS_TABLE_NAME)) == 1
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 1


def test_missing_idempotency_key_is_400_and_writes_nothing(aws: AwsResources, env: dict[str, str]) -> None:
    response = submit(key=None)

    assert response["statusCode"] == 400
    assert error_code(response) == "IDEMPOTENCY_KEY_MISSING"
    assert_nothing_written(aws)


def test_same_key_while_the_first_request_runs_is_409(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_enqueue(*args: Any) -> str:
        entered.set()
        assert release.wait(10), "the test never released the first request"
        return enqueue_settlement(*args)

    monkeypatch.setattr(process_payment, "enqueue_settlement", slow_enqueue)
    results: dict[str, dict[str, Any]] = {}
    first = threading.Thread(target=lambda: results.setdefault("first", submit()))
    first.start()
    assert entered.wait(10), "the first request never reached the enqueue step"
    try:
        second = submit()
    finally:
        release.set()
        first.join(10)

    assert second["statusCode"] == 409
    assert error_code(second) == "REQUEST_IN_PROGRESS"
    assert results["first"]["statusCode"] == 202
    assert body_of(submit()) == body_of(results["first"]), "after it finished, the key replays the first answer"
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 1


def test_enqueue_failure_is_503_leaves_no_pending_record_and_a_retry_succeeds(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYMENT_QUEUE_URL", aws.queue_url.replace("payments-test", "no-such-queue"))
    execution_environment.clear_caches()

    failed = submit()

    assert failed["statusCode"] == 503
    assert error_code(failed) == "ENQUEUE_FAILED"
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["status"] == {"S": "FAILED"}
    assert item["failure_reason"] == {"S": "ENQUEUE_FAILED"}
    assert table_items(aws, IDEMPOTENCY_TABLE_NAME) == [], "the idempotency record must not stick"
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 0

    monkeypatch.setenv("PAYMENT_QUEUE_URL", aws.queue_url)
    execution_environment.clear_caches()
    retried = submit()

    assert retried["statusCode"] == 202
    transaction_id = item["transaction_id"]["S"]
    assert body_of(retried) == {"transaction_id": transaction_id, "status": "PENDING"}
    (reopened,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert reopened["status"] == {"S": "PENDING"}
    assert "failure_reason" not in reopened
    assert _messages(aws) == [{"transaction_id": transaction_id}]


def test_a_lost_idempotency_record_still_cannot_make_a_second_payment(aws: AwsResources, env: dict[str, str]) -> None:
    """The record can vanish (the save after success failed; the function timed out after enqueueing):
    the transaction id comes from the key, so the re-run finds the transaction it already made."""
    first = body_of(submit())
    dynamodb = aws.client("dynamodb")

    def lose_idempotency_records() -> None:
        for record in table_items(aws, IDEMPOTENCY_TABLE_NAME):
            dynamodb.delete_item(TableName=IDEMPOTENCY_TABLE_NAME, Key={"id": record["id"]})

    lose_idempotency_records()
    rerun = submit()
    lose_idempotency_records()
    different = submit({**VALID_BODY, "amount_minor": 1})

    assert rerun["statusCode"] == 202
    assert body_of(rerun) == first
    assert different["statusCode"] == 422
    assert error_code(different) == "IDEMPOTENCY_KEY_REUSED"
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["amount_minor"] == {"N": "1250"}
    assert _messages(aws) == [{"transaction_id": first["transaction_id"]}] * 2, (
        "re-enqueued: the settlement worker makes the duplicate message harmless"
    )


def test_enqueue_error_after_the_worker_claimed_the_message_still_answers_202(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SendMessage reported an error but had delivered the message and the worker already took it."""
    store = TransactionStore(TRANSACTIONS_TABLE_NAME, aws.client("dynamodb"))

    def delivered_then_failed(client: Any, queue_url: str, payment: AcceptedPayment) -> str:
        enqueue_settlement(client, queue_url, payment)
        assert payment.transaction_id in store.claim_batch([payment], utc_now()).claimed  # as the worker claims
        raise EnqueueError("timeout after delivery")

    monkeypatch.setattr(process_payment, "enqueue_settlement", delivered_then_failed)
    response = submit()

    assert response["statusCode"] == 202
    (item,) = table_items(aws, TRANSACTIONS_TABLE_NAME)
    assert item["status"] == {"S": "PENDING"}
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 1


def test_unexpected_storage_error_is_500_json_and_releases_the_key(aws: AwsResources, env: dict[str, str]) -> None:
    aws.client("dynamodb").delete_table(TableName=TRANSACTIONS_TABLE_NAME)

    response = submit()

    assert response["statusCode"] == 500
    assert error_code(response) == "INTERNAL_ERROR"
    assert table_items(aws, IDEMPOTENCY_TABLE_NAME) == []
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 0


PAN = "4111111111111111"
AMEX = "378282246310005"
CARD_BODIES = {
    "token is a PAN": {**VALID_BODY, "payment_method_token": PAN},
    "PAN inside the token": {**VALID_BODY, "payment_method_token": f"tok_{PAN}_x"},
    "PAN grouped with spaces in merchant": {**VALID_BODY, "merchant_id": "4111 1111 1111 1111"},
    "PAN grouped with dashes in an unknown field": {**VALID_BODY, "card": "4111-1111-1111-1111"},
    "PAN as a number": {**VALID_BODY, "card_number": int(PAN)},
    "Amex in a nested object": {**VALID_BODY, "source": {"number": AMEX, "cvc": "123"}},
    "PAN hidden with JSON unicode escapes": json.dumps(VALID_BODY).replace(
        '"pm_tok_abcdefgh"', '"' + "".join(f"\\u{ord(c):04x}" for c in PAN) + '"'
    ),
    "PAN in malformed JSON": '{"payment_method_token": "' + PAN + '", ',
    "PAN as a field name": {**VALID_BODY, PAN: "x"},
}


@pytest.mark.parametrize("body", CARD_BODIES.values(), ids=CARD_BODIES.keys())
def test_card_numbers_are_refused_never_stored_or_logged(
    aws: AwsResources, env: dict[str, str], captured_logs: CapturedOutput, body: Any
) -> None:
    response = submit(body)

    assert response["statusCode"] == 400
    assert error_code(response) == "CARD_NUMBER_REFUSED"
    assert_nothing_written(aws)
    output = captured_logs.text()
    assert '"error_code":"CARD_NUMBER_REFUSED"' in output.replace(" ", ""), "the refusal itself must be logged"
    for secret in (PAN, AMEX, "4111 1111", "4111-1111", "u0034u0031"):
        assert secret not in output.replace("\\", "")
        assert secret not in response["body"].replace("\\", "")


def test_card_number_in_the_idempotency_key_is_refused(
    aws: AwsResources, env: dict[str, str], captured_logs: CapturedOutput
) -> None:
    response = submit(key=f"key-{PAN}")

    assert response["statusCode"] == 400
    assert error_code(response) == "CARD_NUMBER_REFUSED"
    assert_nothing_written(aws)
    assert PAN not in captured_logs.text()


def test_luhn_invalid_long_digit_strings_are_not_mistaken_for_cards(aws: AwsResources, env: dict[str, str]) -> None:
    response = submit({**VALID_BODY, "payment_method_token": "pm_4111111111111130"})

    assert response["statusCode"] == 202


def test_idempotency_store_outage_is_503_and_nothing_is_recorded(aws: AwsResources, env: dict[str, str]) -> None:
    aws.client("dynamodb").delete_table(TableName=IDEMPOTENCY_TABLE_NAME)

    response = submit()

    assert response["statusCode"] == 503
    assert error_code(response) == "SERVICE_UNAVAILABLE"
    assert table_items(aws, TRANSACTIONS_TABLE_NAME) == []
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 0


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the invocation failed first
def test_missing_configuration_fails_the_invocation_naming_the_variables(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYMENT_QUEUE_URL")
    monkeypatch.setenv("MAX_AMOUNT_MINOR_UNITS", "lots")
    execution_environment.clear_caches()

    with pytest.raises(ConfigurationError, match=r"PAYMENT_QUEUE_URL.*MAX_AMOUNT_MINOR_UNITS"):
        submit()

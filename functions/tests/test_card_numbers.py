"""Card numbers are refused however they are grouped, in every field and stored header; UUID keys never are."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from card_support import PANS, every_grouping, uuid4_keys
from conftest import CapturedOutput
from payment_support import VALID_BODY, assert_nothing_written, error_code, submit

from payments.card_numbers import contains_card_number, passes_luhn
from testkit.aws_support import AwsResources
from testkit.lambda_support import body_of, payment_event

GROUPINGS = dict(every_grouping())
UUID_SAMPLE = 1_000_000


@pytest.mark.parametrize("text", GROUPINGS.values(), ids=GROUPINGS.keys())
def test_a_card_number_is_detected_however_it_is_grouped(text: str) -> None:
    assert contains_card_number(text)
    assert contains_card_number(f"tok_{text}_x"), "inside a token"
    assert contains_card_number(f"ref 12 {text} 7"), "next to other numbers"


GLUED = {
    f"{pan_name} {how}": text
    for pan_name, pan in PANS.items()
    for how, text in (
        ("then its CVV", f"{pan}123"),
        ("then one digit", f"{pan}7"),
        ("zero-padded", f"000{pan}"),
        ("one digit each side", f"9{pan}1"),
        ("in an order id", f"order-{pan}123"),
    )
}


@pytest.mark.parametrize("text", GLUED.values(), ids=GLUED.keys())
def test_a_card_number_glued_to_a_few_more_digits_is_detected(text: str) -> None:
    """Every run of 13 or more digits is checked window by window, not only runs longer than a card number."""
    assert contains_card_number(text)


@pytest.mark.parametrize(
    ("place", "text"),
    [
        ("payment_method_token", f"{PANS['16 digits']}123"),
        ("payment_method_token", f"pm_000{PANS['15 digits']}"),
        ("Idempotency-Key header", f"order-{PANS['13 digits']}12"),
        ("Idempotency-Key header", f"order-{PANS['16 digits']}123"),
    ],
)
def test_a_glued_card_number_is_refused_and_never_stored(
    aws: AwsResources, env: dict[str, str], place: str, text: str
) -> None:
    response = submit(event=PLACES[place](text))

    assert (response["statusCode"], error_code(response)) == (400, "CARD_NUMBER_REFUSED")
    assert_nothing_written(aws)


@pytest.mark.parametrize(
    "text",
    [
        "order:2026-11-21:000123",
        "2026-11-21T10:00:00.123456Z",
        "2026-11-21 10:00:00.123",
        "invoice_2026_11_21_000001",
        "v1.22.333.4444",
        "192.168.100.200",
        "pm_tok_abcdefgh",
        "12.50 USD",
        "4111111111111130",  # 16 digits, no 13-19 digit window of which passes the Luhn check
        "0000 0000 0000 0000",
    ],
)
def test_ordinary_identifiers_are_not_card_numbers(text: str) -> None:
    assert not contains_card_number(text)


def _uuid_whose_digits_across_the_dashes_pass_luhn() -> str:
    """Like the ~1 in 400 random UUIDv4 keys the old detector refused: '1234', '5678', '4123', '812x' join
    across the dashes into 16 digits passing Luhn (and, without dashes, into one 16-digit run)."""
    for check in "0123456789":
        candidate = f"abcd1234-5678-4123-812{check}-abcdefabcdef"
        if passes_luhn(candidate[4:8] + candidate[9:13] + candidate[14:18] + candidate[19:23]):
            return candidate
    raise AssertionError("unreachable: one check digit always completes a Luhn number")


def test_uuids_whose_digits_pass_luhn_across_the_dashes_are_not_card_numbers() -> None:
    key = _uuid_whose_digits_across_the_dashes_pass_luhn()

    for form in (key, key.upper(), key.replace("-", ""), f"order-{key}", f"{key}:retry-2", f"{{{key}}}"):
        assert not contains_card_number(form), form
    assert contains_card_number(key.replace("-", " - ")), "the same digits outside the UUID shape are a card number"


def test_uuid_idempotency_keys_are_accepted_end_to_end(aws: AwsResources, env: dict[str, str]) -> None:
    key = _uuid_whose_digits_across_the_dashes_pass_luhn()

    for form in (key, key.replace("-", "")):
        response = submit(key=form)
        assert response["statusCode"] == 202, body_of(response)


def test_a_million_random_uuid4_keys_are_never_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """The figure behind the promise: run with `-s` (or read the test's output) to see it."""
    seed = int(os.environ.get("UUID_FP_SEED") or secrets.randbits(32))
    started = time.perf_counter()
    dashed = uuid4_keys(UUID_SAMPLE, seed)
    plain = [key.replace("-", "") for key in dashed]

    refused = [key for key in itertools.chain(dashed, plain) if contains_card_number(key)]

    elapsed = time.perf_counter() - started
    hazardous = sum(contains_card_number(key.replace("-", " - ")) for key in dashed[:50_000])
    with capsys.disabled():
        print(
            f"\nUUIDv4 Idempotency-Keys refused as card numbers: {len(refused)} of {2 * UUID_SAMPLE:,} "
            f"({UUID_SAMPLE:,} hex-with-dashes + {UUID_SAMPLE:,} plain hex; UUID_FP_SEED={seed}; {elapsed:.1f} s). "
            f"Same digits with the dashes spaced out, first 50,000: {hazardous} refused."
        )
    assert refused == [], f"UUID_FP_SEED={seed} reproduces these: {refused[:5]}"
    assert hazardous > 0, "the sample holds the digit runs that used to be refused, so the 0 means something"


def _json_escaped(text: str) -> str:
    return json.dumps(VALID_BODY).replace(
        '"pm_tok_abcdefgh"', '"' + "".join(f"\\u{ord(char):04x}" for char in text) + '"'
    )


def _second_key_value(text: str) -> dict[str, Any]:
    event = payment_event(VALID_BODY)
    event["multiValueHeaders"]["Idempotency-Key"] = ["key-0001-test", text]
    return event


PLACES: dict[str, Callable[[str], dict[str, Any]]] = {
    "payment_method_token": lambda text: payment_event({**VALID_BODY, "payment_method_token": text}),
    "merchant_id": lambda text: payment_event({**VALID_BODY, "merchant_id": text}),
    "currency": lambda text: payment_event({**VALID_BODY, "currency": text}),
    "unknown field": lambda text: payment_event({**VALID_BODY, "note": text}),
    "field name": lambda text: payment_event({**VALID_BODY, text: "x"}),
    "nested list": lambda text: payment_event({**VALID_BODY, "source": {"numbers": [text]}}),
    "JSON unicode escapes": lambda text: payment_event(_json_escaped(text)),
    "Idempotency-Key header": lambda text: payment_event(VALID_BODY, key=text),
    "second Idempotency-Key value": _second_key_value,
}


def test_every_grouping_in_every_field_and_stored_header_is_refused_and_never_stored_or_logged(
    aws: AwsResources, env: dict[str, str], captured_logs: CapturedOutput
) -> None:
    accepted = []
    for (grouping, text), (place, make_event) in itertools.product(GROUPINGS.items(), PLACES.items()):
        response = submit(event=make_event(text))
        if response["statusCode"] != 400 or error_code(response) != "CARD_NUMBER_REFUSED":
            accepted.append(f"{grouping} in {place}: {response['statusCode']}")

    assert accepted == []
    assert_nothing_written(aws)
    output = captured_logs.text().replace("\\", "")
    assert output.replace(" ", "").count('"error_code":"CARD_NUMBER_REFUSED"') >= len(GROUPINGS) * len(PLACES)
    for pan in PANS.values():
        assert pan[:8] not in output
        assert pan[-8:] not in output
    for text in GROUPINGS.values():
        assert text not in output

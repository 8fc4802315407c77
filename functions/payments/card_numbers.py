"""Detects anything that looks like a primary account number (PAN) so it is refused, never stored.

A PAN is 13-19 digits, not starting with 0, passing the Luhn check. It is found written
- as one run of digits, alone or inside a word ("4111111111111111", "tok_4111111111111111_x"); every
  run of 13 or more digits is checked window by window, since a PAN glued to other digits (its CVV
  after it, zero padding before it) is still a PAN;
- in groups of 3 or more digits joined by any run of separators (whitespace, dashes, underscores,
  dots, colons, slashes, backslashes, bars, commas, semicolons, plus signs), repeated or mixed:
  "4111 1111 1111 1111", "4111--1111__1111..1111", "3782/822463/10005". Every span of whole
  consecutive groups holding 13-19 digits is checked, so a PAN next to other numbers is found.

Groups of one or two digits never join a span: dates, times and counters in ordinary identifiers
("order:2026-11-21:000123", "10:00:00") are not card numbers however their digits add up.

UUIDs are identifiers, never card numbers: text that is a UUID on its own (not glued to other
letters or digits), canonical 8-4-4-4-12 hex with dashes, or 32 hex digits carrying the RFC 9562
version (1-8) and variant (8, 9, a, b) nibbles, is left out of the scan. Without this rule the
digits on both sides of a UUID's dashes (or a digit run inside its plain hex form) pass the Luhn
check for about one random UUIDv4 in 400, and such an Idempotency-Key would be refused on every
retry. A UUID's hex groups hold at most 12 digits, fewer than any PAN.
"""

from __future__ import annotations

import re

_MIN_PAN_DIGITS = 13
_MAX_PAN_DIGITS = 19
_MIN_GROUP_DIGITS = 3

_SEPARATOR = r"[\s\-_.:/\\|,;+\u2010-\u2015\u2212]"
_DIGIT_GROUPS = re.compile(rf"\d+(?:{_SEPARATOR}+\d+)*")
_SEPARATORS = re.compile(rf"{_SEPARATOR}+")

_HEX = "[0-9A-Fa-f]"
_UUID = re.compile(
    rf"(?<![0-9A-Za-z])"
    rf"(?:{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
    rf"|{_HEX}{{12}}[1-8]{_HEX}{{3}}[89ABab]{_HEX}{{15}})"
    rf"(?![0-9A-Za-z])"
)
_NOT_A_DIGIT_OR_SEPARATOR = "u"


def passes_luhn(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _could_be_pan(digits: str) -> bool:
    # Card numbers never start with 0 (ISO/IEC 7812 major industry identifier 0 is not issued to cards).
    return digits[0] != "0" and passes_luhn(digits)


def _run_hides_pan(digits: str) -> bool:
    return any(
        _could_be_pan(digits[start : start + length])
        for length in range(_MIN_PAN_DIGITS, _MAX_PAN_DIGITS + 1)
        for start in range(len(digits) - length + 1)
    )


def _spans_hold_pan(groups: list[str]) -> bool:
    """Every span of consecutive groups of 3+ digits with 13-19 digits in all."""
    for first in range(len(groups)):
        digits = ""
        for group in groups[first:]:
            if len(group) < _MIN_GROUP_DIGITS:
                break
            digits += group
            if len(digits) > _MAX_PAN_DIGITS:
                break
            if len(digits) >= _MIN_PAN_DIGITS and _could_be_pan(digits):
                return True
    return False


def _groups_hold_pan(groups: list[str]) -> bool:
    if any(len(group) >= _MIN_PAN_DIGITS and _run_hides_pan(group) for group in groups):
        return True
    return _spans_hold_pan(groups)


def contains_card_number(text: str) -> bool:
    """True when `text` holds something that looks like a card number (see the module docstring)."""
    scanned = _UUID.sub(_NOT_A_DIGIT_OR_SEPARATOR, text)
    return any(_groups_hold_pan(_SEPARATORS.split(match.group())) for match in _DIGIT_GROUPS.finditer(scanned))

"""Detects anything that looks like a primary account number (PAN) so it is refused, never stored.

A candidate is a run of 13 or more digits, optionally grouped by single spaces or dashes
("4111 1111 1111 1111"). Any 13-19 digit window of it that passes the Luhn check counts: a PAN
hidden inside a longer digit string is still a PAN.
"""

from __future__ import annotations

import re

_MIN_PAN_DIGITS = 13
_MAX_PAN_DIGITS = 19
_CANDIDATE = re.compile(rf"\d(?:[ -]?\d){{{_MIN_PAN_DIGITS - 1},}}")


def passes_luhn(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    """True when `text` holds 13-19 consecutive (optionally grouped) digits passing Luhn."""
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        for length in range(_MIN_PAN_DIGITS, min(_MAX_PAN_DIGITS, len(digits)) + 1):
            for start in range(len(digits) - length + 1):
                if passes_luhn(digits[start : start + length]):
                    return True
    return False

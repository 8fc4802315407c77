"""Detects anything that looks like a primary account number (PAN) so it is refused, never stored.

A PAN is 13-19 digits, not starting with 0, passing the Luhn check, written plain ("4111111111111111") or in groups
separated by single spaces or dashes ("4111 1111 1111 1111"). Every run of digit groups in the
text is checked, and every span of whole groups in it that holds 13-19 digits: a PAN next to
other numbers is still found. A plain run longer than 19 digits is checked window by window,
since a PAN glued to other digits is still a PAN.
"""

from __future__ import annotations

import re

_MIN_PAN_DIGITS = 13
_MAX_PAN_DIGITS = 19
_CANDIDATE = re.compile(rf"\d(?:[ -]?\d){{{_MIN_PAN_DIGITS - 1},}}")
_SEPARATOR = re.compile(r"[ -]")


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


def _long_run_hides_pan(digits: str) -> bool:
    return any(
        _could_be_pan(digits[start : start + length])
        for length in range(_MIN_PAN_DIGITS, _MAX_PAN_DIGITS + 1)
        for start in range(len(digits) - length + 1)
    )


def _groups_hold_pan(groups: list[str]) -> bool:
    for first in range(len(groups)):
        if len(groups[first]) > _MAX_PAN_DIGITS and _long_run_hides_pan(groups[first]):
            return True
        digits = ""
        for group in groups[first:]:
            digits += group
            if len(digits) > _MAX_PAN_DIGITS:
                break
            if len(digits) >= _MIN_PAN_DIGITS and _could_be_pan(digits):
                return True
    return False


def contains_card_number(text: str) -> bool:
    """True when `text` holds something that looks like a card number (see the module docstring)."""
    return any(_groups_hold_pan(_SEPARATOR.split(match.group())) for match in _CANDIDATE.finditer(text))

"""Generated test card numbers (Luhn-valid, test-range prefixes, never a real card) and their groupings."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator

# Issuer test ranges (Visa 4111 11, Amex 3782 82, Discover 6011 11, Visa 4222 22), filled and completed
# with a check digit at run time: no card number is written down in the repository.
_TEST_PREFIXES = {16: "411111", 15: "378282", 19: "601111", 13: "422222", 14: "411111"}
# How card numbers are printed and typed, by length.
LAYOUTS = {16: (4, 4, 4, 4), 15: (4, 6, 5), 19: (4, 4, 4, 4, 3), 13: (4, 4, 5), 14: (4, 6, 4)}

SEPARATORS = {
    "space": " ",
    "two spaces": "  ",
    "tab": "\t",
    "dash": "-",
    "repeated dashes": "--",
    "underscore": "_",
    "repeated underscores": "__",
    "dot": ".",
    "colon": ":",
    "slash": "/",
    "backslash": "\\",
    "spaced dash": " - ",
    "dash underscore": "-_",
    "en dash": "\u2013",
    "bar": "|",
    "comma": ", ",
    "plus": "+",
}
MIXED = ("-", "__", ".", ":/")


def _luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` pass the Luhn check (independent of payments.card_numbers)."""
    total = 0
    for position, char in enumerate(reversed(partial)):
        value = int(char)
        if position % 2 == 0:  # doubled, since the check digit will take position 0
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def generated_pan(length: int) -> str:
    """A Luhn-valid card number of `length` digits in an issuer's test range."""
    prefix = _TEST_PREFIXES[length]
    partial = prefix + "".join(str(digit % 10) for digit in range(length - len(prefix) - 1))
    return partial + _luhn_check_digit(partial)


PANS = {f"{length} digits": generated_pan(length) for length in sorted(LAYOUTS)}


def grouped(pan: str, separators: str | tuple[str, ...]) -> str:
    """`pan` in its usual layout, the groups joined by `separators` (cycled when several)."""
    layout = LAYOUTS[len(pan)]
    cuts = list(itertools.accumulate(layout))
    groups = [pan[start:end] for start, end in zip([0, *cuts], cuts, strict=False)]
    joiners = itertools.cycle((separators,) if isinstance(separators, str) else separators)
    text = groups[0]
    for group in groups[1:]:
        text += next(joiners) + group
    return text


def every_grouping() -> Iterator[tuple[str, str]]:
    """(name, text) for every test PAN plain, in every separator style and mixed."""
    for pan_name, pan in PANS.items():
        yield f"{pan_name} plain", pan
        for separator_name, separator in SEPARATORS.items():
            yield f"{pan_name} {separator_name}", grouped(pan, separator)
        yield f"{pan_name} mixed", grouped(pan, MIXED)


def uuid4_keys(count: int, seed: int) -> list[str]:
    """`count` random UUIDv4 strings (hex with dashes), reproducible from `seed`."""
    raw = random.Random(seed).randbytes(16 * count)  # noqa: S311 (reproducible test data, not a secret)
    return [str(uuid.UUID(bytes=raw[index * 16 : index * 16 + 16], version=4)) for index in range(count)]

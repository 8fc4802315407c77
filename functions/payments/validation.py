"""msgspec conversion that names every problem of a document, not only the first.

msgspec stops at the first invalid field: enough to refuse a document, not to tell a client every
field to fix, or an operator every environment variable, in one go. So when a document is refused,
each of its fields is checked again on its own, and all that is wrong is reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

StructT = TypeVar("StructT", bound=msgspec.Struct)

DOCUMENT = ""
"""Where a problem of the document as a whole is reported: not an object, or holding undeclared fields."""

# msgspec reads text it converts to another type (a number, a UUID) as UTF-8, which a lone surrogate is not:
# JSON's `\ud800` escape, or a byte of an environment variable that was not UTF-8. It raises
# UnicodeEncodeError then, whose message quotes the character.
_NOT_TEXT = "not valid Unicode text (a lone surrogate)"


class InvalidFields(ValueError):
    """A document that is not what its model declares: `problems` maps where (a field's encoded name, the
    JSON field or the environment variable, or `DOCUMENT`) to what is wrong there. Never quotes a value,
    nor the name of a field the model does not declare: both are the sender's text."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{where}: {what}" if where else what for where, what in problems.items()))
        self.problems = problems


def convert(document: Any, model: type[StructT], *, strict: bool = True) -> StructT:
    """`document` (decoded JSON, or a mapping of text when `strict` is False) as a `model`, or InvalidFields."""
    try:
        return msgspec.convert(document, model, strict=strict)
    except (msgspec.ValidationError, UnicodeEncodeError) as error:
        raise InvalidFields(_problems(document, model, strict=strict) or {DOCUMENT: _what(error)}) from None


def _what(error: msgspec.ValidationError | UnicodeEncodeError) -> str:
    return _NOT_TEXT if isinstance(error, UnicodeEncodeError) else str(error)


def _problems(document: Any, model: type[msgspec.Struct], *, strict: bool) -> dict[str, str]:
    if not isinstance(document, Mapping):
        return {}
    problems: dict[str, str] = {}
    fields = msgspec.structs.fields(model)
    for field in fields:
        if field.encode_name not in document:
            if field.required:
                problems[field.encode_name] = "missing (required)"
            continue
        value = document[field.encode_name]
        try:
            msgspec.convert(value, field.type, strict=strict)
        except (msgspec.ValidationError, UnicodeEncodeError) as error:
            optional = not field.required
            problems[field.encode_name] = (
                "leave it out or send a value; null is not accepted" if value is None and optional else _what(error)
            )
    declared = [field.encode_name for field in fields]
    if model.__struct_config__.forbid_unknown_fields and not document.keys() <= set(declared):
        problems[DOCUMENT] = f"unknown field (accepted: {', '.join(declared)})"
    return problems

"""Check one planned value against the shape the SDK declares for it; every problem, at any depth.

Values are as the plan records them (what the engine would receive): camelCase keys, numbers as
floats (an integral float is a fine integer), `"[unknown]"` and `"[secret]"` standing for values
known only at deploy or hidden, which fit any shape.
"""

import difflib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tooling.checks.types.shapes import Block, Choice, ListOf, MapOf, OneOf, Opaque, Scalar, Shape
from tooling.plan.mock_runtime import SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER

PLACEHOLDERS = (UNKNOWN_PLACEHOLDER, SECRET_PLACEHOLDER)


@dataclass(frozen=True)
class Problem:
    path: str
    what: str
    expected: str
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.what}, expected {self.expected}"


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"number {int(value) if float(value).is_integer() else value}"
    if isinstance(value, str):
        return f"string {json.dumps(value if len(value) <= 40 else value[:37] + '...')}"
    return "a list" if isinstance(value, list) else "an object"


def fits_scalar(value: Any, kind: type) -> bool:
    if isinstance(value, bool) or kind is bool:
        return isinstance(value, bool) and kind is bool
    if kind is int:
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _kind(value: Any) -> str:
    """The kind of a planned value: object, list or scalar."""
    return "object" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def _shape_kind(shape: Shape) -> str | None:
    """The kind of value a shape takes (None: any kind)."""
    if isinstance(shape, Block | MapOf):
        return "object"
    if isinstance(shape, ListOf):
        return "list"
    return None if isinstance(shape, Opaque | OneOf) else "scalar"


def _did_you_mean(given: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(given, list(known), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def problems(value: Any, shape: Shape, path: str = "") -> list[Problem]:
    """Everything wrong with `value` (found at `path`) against `shape`, at any depth."""
    if isinstance(value, str) and value in PLACEHOLDERS:
        return []
    kind = _shape_kind(shape)
    if kind is not None and kind != _kind(value):
        return [Problem(path, f"got {describe(value)}", shape.describe())]
    return _CHECKS[type(shape)](value, shape, path)


def _scalar(value: Any, shape: Scalar, path: str) -> list[Problem]:
    return [] if fits_scalar(value, shape.kind) else [Problem(path, f"got {describe(value)}", shape.describe())]


def _choice(value: Any, shape: Choice, path: str) -> list[Problem]:
    if value in shape.values:
        return []
    hint = _did_you_mean(str(value), [str(v) for v in shape.values])
    if shape.open:
        return [Problem(path, f"{describe(value)} is not a known {shape.name} value{hint}", shape.describe(), False)]
    return [Problem(path, f"{describe(value)} is not allowed{hint}", shape.describe())]


def _list(value: list[Any], shape: ListOf, path: str) -> list[Problem]:
    return [p for i, item in enumerate(value) for p in problems(item, shape.item, f"{path}[{i}]")]


def _map(value: dict[str, Any], shape: MapOf, path: str) -> list[Problem]:
    return [p for key, item in value.items() for p in problems(item, shape.value, f"{path}[{json.dumps(key)}]")]


def _one_of(value: Any, shape: OneOf, path: str) -> list[Problem]:
    """Fine if any option fits; otherwise what is wrong against the one option of the value's kind."""
    found = [problems(value, option, path) for option in shape.options]
    fitting = [f for f in found if not any(p.blocking for p in f)]  # notes at most
    if fitting:
        return min(fitting, key=len)
    same_kind = [f for f, o in zip(found, shape.options, strict=True) if _shape_kind(o) in (None, _kind(value))]
    return same_kind[0] if len(same_kind) == 1 else [Problem(path, f"got {describe(value)}", shape.describe())]


def object_problems(value: dict[str, Any], block: Block, path: str = "") -> list[Problem]:
    """Unknown keys, missing required keys, then each key's value against its shape."""
    fields = block.fields
    found: list[Problem] = []
    for key in value:
        if key not in fields:
            hint = _did_you_mean(key, fields)
            found.append(Problem(_join(path, key), f"unknown key{hint}", "one of: " + ", ".join(sorted(fields))))
    for key, field in fields.items():
        if field.required and value.get(key) is None:
            found.append(Problem(_join(path, key), "missing required key", field.shape.describe()))
    for key, item in value.items():
        if key in fields and item is not None:
            found += problems(item, fields[key].shape, _join(path, key))
    return found


_CHECKS: dict[type, Callable[[Any, Any, str], list[Problem]]] = {
    Scalar: _scalar,
    Choice: _choice,
    ListOf: _list,
    MapOf: _map,
    Block: object_problems,
    OneOf: _one_of,
    Opaque: lambda value, shape, path: [],
}

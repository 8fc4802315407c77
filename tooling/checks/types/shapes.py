"""The shape a value must have, derived at run time from a Pulumi SDK's own type annotations.

`shape_of(annotation)` reads what the SDK declares: `pulumi.Input[...]`, `Optional`, `Union`,
`Sequence[...]`, `Mapping[str, ...]` (free-form maps), `Literal[...]` and `str, Enum` classes
(allowed values), `...ArgsDict` TypedDicts (objects with required and optional keys, `NotRequired` or
`total=False`), and the `...Args` input classes that give each key the name Pulumi sends to the
engine. Nothing here knows a resource type: an upgraded SDK is read with its own new types.
Objects resolve their keys only when a value is checked against them, once per process.
"""

import collections.abc as cabc
import enum
import inspect
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import Any

import pulumi
from pulumi import _types as pulumi_types
from pulumi import output as pulumi_output

# `pulumi.Input[T]` is `Union[T, Awaitable[T], "Output[T]"]`: its forward reference resolves here.
_PULUMI_FORWARD_REFS = {"Output": pulumi.Output, "T": pulumi_output.T}

# `_internal_init(__self__, resource_name, opts=None, <arguments>, __props__=None)`
_NOT_ARGUMENTS = frozenset({"resource_name", "opts", "__props__"})

_CHOICES_SHOWN = 12  # of an enum's values, in messages

_KIND_NAMES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


@dataclass(frozen=True)
class Scalar:
    """A string, integer, number or boolean."""

    kind: type

    def describe(self) -> str:
        return _KIND_NAMES[self.kind]


@dataclass(frozen=True)
class Choice:
    """A value from a declared set: an SDK enum class or a `Literal`.

    Open when the SDK takes any string besides (`Union[str, SomeEnum]`): its list is then the values
    the SDK knows, which can lag the provider's (pulumi-aws 7.51.1 `rds.InstanceType` lacks
    `db.serverless`), so a value outside it is worth a note, not a failure.
    """

    name: str
    values: tuple[Any, ...]
    open: bool = False

    def describe(self) -> str:
        shown = ", ".join(json.dumps(v) for v in self.values[:_CHOICES_SHOWN])
        more = len(self.values) - _CHOICES_SHOWN
        shown += f", ... ({more} more)" if more > 0 else ""
        return f"a string (known: {shown})" if self.open else f"one of {shown}"


@dataclass(frozen=True)
class ListOf:
    item: "Shape"

    def describe(self) -> str:
        return f"list of {self.item.describe()}"


@dataclass(frozen=True)
class MapOf:
    """A free-form map (`Mapping[str, ...]`: tags, environment variables, triggers): any key."""

    value: "Shape"

    def describe(self) -> str:
        return f"map of {self.value.describe()}"


@dataclass(frozen=True)
class OneOf:
    options: tuple["Shape", ...]

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)


@dataclass(frozen=True)
class Opaque:
    """Anything goes (`Any`, assets and archives, which the plan shows as their path or hash)."""

    what: str

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class Field:
    shape: "Shape"
    required: bool


class Block:
    """An object with named keys: a resource's arguments or a nested input type.

    Keys are the names Pulumi sends to the engine (camelCase), loaded on first use.
    """

    def __init__(self, name: str, load: Callable[[], Mapping[str, Field]]) -> None:
        self.name = name
        self._load = load

    @cached_property
    def fields(self) -> Mapping[str, Field]:
        return self._load()

    def describe(self) -> str:
        return f"{self.name} object"

    def __repr__(self) -> str:
        return f"Block({self.name})"


Shape = Scalar | Choice | ListOf | MapOf | OneOf | Opaque | Block

_ANY = Opaque("any value")


def type_hints(annotated: Any) -> dict[str, Any]:
    """`typing.get_type_hints` with Pulumi's own forward references resolvable."""
    return typing.get_type_hints(annotated, localns=_PULUMI_FORWARD_REFS)


def alternatives(annotation: Any) -> list[Any]:
    """The types a value may have: unions flattened; None, awaitables and outputs (ways of passing a
    value, not values) dropped."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found: list[Any] = []
        for member in typing.get_args(annotation):
            found += [a for a in alternatives(member) if a not in found]
        return found
    if annotation is type(None) or typing.get_origin(annotation) in (cabc.Awaitable, pulumi.Output):
        return []
    return [annotation]


@cache
def shape_of(annotation: Any) -> Shape:
    options: list[Shape] = []
    for alternative in alternatives(annotation):
        option = _option(alternative)
        if option is not None and option not in options:
            options.append(option)
    if Scalar(str) in options and any(isinstance(o, Choice) for o in options):  # `Union[str, SomeEnum]`
        options = [replace(o, open=True) if isinstance(o, Choice) else o for o in options if o != Scalar(str)]
    if not options:
        return Opaque(f"a value of {annotation}")
    return options[0] if len(options) == 1 else OneOf(tuple(options))


def _option(annotation: Any) -> Shape | None:
    origin = typing.get_origin(annotation)
    if origin is not None:
        return _generic_option(origin, typing.get_args(annotation))
    if annotation is Any:
        return _ANY
    return _class_option(annotation) if isinstance(annotation, type) else Opaque(f"a value of {annotation}")


def _generic_option(origin: Any, args: tuple[Any, ...]) -> Shape:
    if origin in (cabc.Sequence, list, tuple):
        return ListOf(shape_of(args[0]) if args else _ANY)
    if origin in (cabc.Mapping, dict):
        return MapOf(shape_of(args[-1]) if args else _ANY)
    if origin is typing.Literal:
        return Choice("Literal", args)
    return Opaque(f"a value of {origin}")


def _class_option(cls: Any) -> Shape | None:
    if cls in _KIND_NAMES:
        return Scalar(cls)
    if issubclass(cls, enum.Enum):
        return Choice(cls.__name__, tuple(member.value for member in cls))
    if typing.is_typeddict(cls):
        return typeddict_block(cls)
    if pulumi_types.is_input_type(cls):
        # its TypedDict twin (`FooArgs` -> `FooArgsDict`) says which keys are required
        twin = _sibling(cls, f"{cls.__name__}Dict")
        return typeddict_block(twin) if typing.is_typeddict(twin) else arguments_block(cls.__name__, cls, cls.__init__)
    if pulumi_types.is_output_type(cls):
        return None  # the same object as its input twin, which is always in the same union
    return Opaque("an asset or archive" if issubclass(cls, pulumi.Archive | pulumi.Asset) else f"a {cls.__name__}")


def _sibling(cls: Any, name: str) -> Any:
    """What the module that defines `cls` calls `name` (None if nothing)."""
    return getattr(sys.modules[cls.__module__], name, None)


@cache
def typeddict_block(typeddict: Any) -> Block:
    """A nested input: keys and types from the `...ArgsDict`, wire names from its `...Args` twin."""
    twin = _sibling(typeddict, typeddict.__name__.removesuffix("Dict"))
    names = pulumi_types.input_type_py_to_pulumi_names(twin) if twin and pulumi_types.is_input_type(twin) else {}
    required: frozenset[str] = getattr(typeddict, "__required_keys__", frozenset())

    def load() -> dict[str, Field]:
        hints = type_hints(typeddict)
        return {names.get(key, key): Field(shape_of(hint), key in required) for key, hint in hints.items()}

    return Block(typeddict.__name__.removesuffix("ArgsDict").removesuffix("Dict"), load)


@cache
def arguments_block(name: str, args_class: Any, parameters_of: Callable[..., Any]) -> Block:
    """Keyword arguments as an object: wire names and which are required from the `@pulumi.input_type`
    class, types from the annotations of `parameters_of` (a resource's `_internal_init`)."""
    names = pulumi_types.input_type_py_to_pulumi_names(args_class)
    required = {
        p.name
        for p in inspect.signature(args_class).parameters.values()
        if p.kind == p.KEYWORD_ONLY and p.default is p.empty
    }

    def load() -> dict[str, Field]:
        hints = type_hints(parameters_of)
        parameters = list(inspect.signature(parameters_of).parameters)[1:]  # after `__self__`
        return {
            _wire_name(names, p): Field(shape_of(hints.get(p, Any)), p.rstrip("_") in required)
            for p in parameters
            if p not in _NOT_ARGUMENTS
        }

    return Block(name, load)


def _wire_name(names: Mapping[str, str], parameter: str) -> str:
    """The engine's name for a parameter; `resource_name_` is the args class's `resource_name`."""
    return names.get(parameter) or names.get(parameter.rstrip("_"), parameter)

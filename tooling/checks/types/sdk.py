"""Which installed Pulumi SDK class declares a type token, and the shape of its arguments.

A provider package (`pulumi_aws`, `pulumi_random`, `pulumi_tls`, ...) registers, when imported,
which of its Python modules and classes implement each token (`aws:lambda/function:Function` ->
`pulumi_aws.lambda_.Function`; `pulumi:providers:aws` -> `pulumi_aws.Provider`). Only the modules
of tokens actually planned are imported, and each class is resolved once per process.
"""

import importlib
import importlib.util
import inspect
import typing
from functools import cache
from typing import Any

from pulumi.runtime import rpc

from tooling.checks.types.shapes import Block, alternatives, arguments_block, type_hints

PROVIDER_PREFIX = "pulumi:providers:"


def _sdk_installed(package: str) -> bool:
    """Import `pulumi_<package>` (which registers its tokens) if it is installed."""
    module = f"pulumi_{package.replace('-', '_')}"
    if importlib.util.find_spec(module) is None:
        return False
    importlib.import_module(module)
    return True


def _member(fqn: str, name: str) -> type | None:
    found = getattr(importlib.import_module(fqn), name, None)
    return found if isinstance(found, type) else None


@cache
def sdk_class(token: str) -> type | None:
    """The SDK class of a resource or provider token; None when no installed SDK declares it."""
    if token.startswith(PROVIDER_PREFIX):
        package = token.removeprefix(PROVIDER_PREFIX)
        if not _sdk_installed(package):
            return None
        registered = rpc.get_resource_package(package, "")
        info: dict[str, Any] = getattr(registered, "pkg_info", {})
        return _member(info["fqn"], info["class"]) if info.get("token") == token else None
    package, module, _ = token.split(":")
    if package == "pulumi" or not _sdk_installed(package):
        return None
    registered_module = rpc.get_resource_module(package, module, "")
    info = getattr(registered_module, "mod_info", {})
    class_name = info.get("classes", {}).get(token)
    return _member(info["fqn"], class_name) if class_name else None


def _args_class(resource_class: type) -> type | None:
    """The `@pulumi.input_type` class of `Resource(name, args: <it>, opts)`, the typed overload."""
    for overload in typing.get_overloads(resource_class.__init__):  # type: ignore[misc]
        if "args" in inspect.signature(overload).parameters:
            args = alternatives(type_hints(overload)["args"])
            return args[0] if args else None
    return None


@cache
def arguments(token: str) -> Block | None:
    """The shape of a resource's inputs: the parameters of its class's `_internal_init`, named as
    its args class names them on the wire. None when no installed SDK declares the token."""
    resource_class = sdk_class(token)
    if resource_class is None:
        return None
    args_class = _args_class(resource_class)
    internal_init = getattr(resource_class, "_internal_init", None)
    if args_class is None or internal_init is None:
        return None
    return arguments_block(token, args_class, internal_init)

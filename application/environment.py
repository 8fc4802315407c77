"""Each function's environment variables, derived from what its handler declares it reads.

`payments.settings` is the one list of the variables every handler reads (`HANDLER_ENVIRONMENT`)
and of those it cannot start without (`HANDLER_REQUIRED_ENVIRONMENT`). The layer supplies one
mapping of values (variable -> value, from the upstream contracts and this layer's resources);
each function gets exactly the supplied variables its handler reads. The plan fails, naming every
problem at once, when a handler needs a variable nobody supplies (it would fail its first
invocation) or a supplied variable is read by no handler (a value nobody uses, or a misspelling).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from payments.settings import HANDLER_ENVIRONMENT, HANDLER_REQUIRED_ENVIRONMENT
from shared.errors import ContractError


@dataclass(frozen=True)
class HandlerVariables:
    reads: tuple[str, ...]
    required: frozenset[str]


class EnvironmentVariablesError(ContractError):
    """The layer's values and the handlers' declared variables disagree."""


def handler_variables(handler: str) -> HandlerVariables:
    if handler in HANDLER_ENVIRONMENT:
        return HandlerVariables(HANDLER_ENVIRONMENT[handler], HANDLER_REQUIRED_ENVIRONMENT[handler])
    raise EnvironmentVariablesError(
        f"handler {handler!r} is not declared in payments.settings.HANDLER_ENVIRONMENT; "
        f"declared: {', '.join(sorted(HANDLER_ENVIRONMENT))}"
    )


def function_environments(
    handlers: Mapping[str, str], supplied: Mapping[str, pulumi.Input[str]]
) -> dict[str, dict[str, pulumi.Input[str]]]:
    """function -> its variables, for `handlers` (function -> handler entry point)."""
    problems: list[str] = []
    environments: dict[str, dict[str, pulumi.Input[str]]] = {}
    read_by_any: set[str] = set()
    for function, handler in handlers.items():
        declared = handler_variables(handler)
        read_by_any |= set(declared.reads)
        missing = sorted(declared.required - set(supplied))
        if missing:
            problems.append(
                f"{function} ({handler}) requires {', '.join(missing)}, which the application layer does not supply"
            )
        environments[function] = {name: supplied[name] for name in declared.reads if name in supplied}
    unread = sorted(set(supplied) - read_by_any)
    if unread:
        problems.append(
            f"the application layer supplies {', '.join(unread)}, which no handler reads "
            "(payments.settings.HANDLER_ENVIRONMENT): remove it, or declare it in the handler's settings"
        )
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise EnvironmentVariablesError(f"Lambda environment variables ({len(problems)} problem(s)):\n{listing}")
    return environments

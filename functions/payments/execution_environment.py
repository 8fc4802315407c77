"""What an execution environment builds once and keeps between invocations, and the one way to forget it.

Lambda reuses an execution environment for many invocations, so the handlers build their settings,
clients and database connection on the first one and reuse them (`cached`). `clear_caches()`
forgets all of it, closing what holds a connection or threads, so the next invocation builds
everything again as a new execution environment would: what tests call between cases, like
Powertools' `parameters.clear_caches()`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_CACHES: list[Any] = []


def cached(build: F) -> F:
    """`build(...)` runs once per execution environment (and arguments); later calls reuse its result."""
    memo = functools.cache(build)
    _CACHES.append(memo)
    return memo  # type: ignore[return-value]


def clear_caches() -> None:
    """Forget everything `cached` kept; a kept value with a `close()` (a connection, a pool) is closed first."""
    for memo in _CACHES:
        if memo.cache_info().currsize and not inspect.signature(memo).parameters:
            close = getattr(memo(), "close", None)
            if callable(close):
                close()
        memo.cache_clear()

"""Small helpers over a pg8000 native connection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pg8000.exceptions import DatabaseError, InterfaceError

# SQLSTATE classes meaning "this connection is gone, a new one may work": connection exceptions
# (08) and operator intervention such as a server restart or failover (57).
_RECONNECT_CLASSES = ("08", "57")
REJECTED_CREDENTIALS_SQLSTATE = "28P01"  # invalid_password
# SQLSTATE classes meaning "this data is refused", whatever the connection: data exceptions (22: a
# value out of range, bad format) and integrity constraint violations (23: CHECK, NOT NULL, ...).
_DATA_ERROR_CLASSES = ("22", "23")


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE code of a pg8000 DatabaseError, if it carries one."""
    if isinstance(error, DatabaseError) and error.args and isinstance(error.args[0], dict):
        code = error.args[0].get("C")
        return str(code) if code else None
    return None


def connection_lost(error: BaseException) -> bool:
    """True when retrying on a fresh connection is the right response."""
    if isinstance(error, InterfaceError | OSError):
        return True
    code = sqlstate(error)
    return code is not None and code.startswith(_RECONNECT_CLASSES)


def is_data_error(error: BaseException) -> bool:
    """True when PostgreSQL refused the values of the statement, not the statement or the connection."""
    code = sqlstate(error)
    return code is not None and code.startswith(_DATA_ERROR_CLASSES)


@contextlib.contextmanager
def transaction(connection: Any) -> Iterator[Any]:
    """START TRANSACTION ... COMMIT, or ROLLBACK (best effort on a broken connection) and re-raise."""
    connection.run("START TRANSACTION")
    try:
        yield connection
    except BaseException:
        with contextlib.suppress(Exception):
            connection.run("ROLLBACK")
        raise
    connection.run("COMMIT")

"""The session servers every suite that runs the payment handlers needs, as pytest fixtures: a real
PostgreSQL (TLS, test-only CA) and a moto server. A conftest imports them by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.aws_support import moto_server, process_environment
from testkit.pg_server import PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto on 127.0.0.1; AWS credentials and endpoint point at it for the session, then are restored."""
    with moto_server() as endpoint, pytest.MonkeyPatch.context() as patch:
        for name, value in process_environment(endpoint).items():
            patch.setenv(name, value)
        yield endpoint

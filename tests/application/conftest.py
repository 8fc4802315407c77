"""Fixtures of the tests that run the payment handlers against the plan: a real PostgreSQL (TLS,
test-only CA) and a moto server, started only when such a test runs."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Read by Powertools when the handler modules are imported (Logger, Tracer, Metrics are module-level):
# outside Lambda there is no X-Ray daemon to send traces to.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from testkit.aws_support import moto_server, process_environment
from testkit.pg_server import PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto on 127.0.0.1; every boto3 client of the session points at it with fake credentials."""
    with moto_server() as endpoint, pytest.MonkeyPatch.context() as patch:
        for name, value in process_environment(endpoint).items():
            patch.setenv(name, value)
        yield endpoint

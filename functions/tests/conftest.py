"""Session fixtures: a real PostgreSQL server (TLS, test-only CA) and a moto server; per-test AWS resources.

Nothing here skips: a missing PostgreSQL or moto makes the session fail with the reason.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from testkit.aws_support import AwsResources, create_resources, handler_environment, reset_moto
from testkit.fixtures import moto_endpoint, postgres
from testkit.pg_server import APP_DATABASE, APP_USER, PostgresServer

# Read by Powertools when the handler modules are imported (Logger and Metrics are module-level).
os.environ["POWERTOOLS_SERVICE_NAME"] = "payments"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Payments"

from payments import execution_environment
from payments.handlers import migrate_ledger
from payments.observability import logger as payments_logger
from payments.observability import metrics
from payments.settings import MigrateLedgerSettings

__all__ = ["moto_endpoint", "postgres"]  # the session servers, shared with tests/application


@pytest.fixture
def aws(moto_endpoint: str, postgres: PostgresServer) -> AwsResources:
    reset_moto(moto_endpoint)
    return create_resources({"username": APP_USER, "password": postgres.app_password})


@pytest.fixture
def env(aws: AwsResources, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The handlers configured as the application layer configures them, after the deploy's migration step."""
    variables = handler_environment(
        aws, db_host=postgres.host, db_port=postgres.port, db_name=APP_DATABASE, ca_file=str(postgres.pki.ca_file)
    )
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    execution_environment.clear_caches()  # a new execution environment: everything is built again
    metrics.clear_metrics()  # what a test that called the worker's steps directly left unflushed
    migrate_ledger.migrate(MigrateLedgerSettings.from_environ(variables))
    yield variables
    execution_environment.clear_caches()


@dataclass
class CapturedOutput:
    stream: io.StringIO
    capfd: pytest.CaptureFixture[str]

    def text(self) -> str:
        out, err = self.capfd.readouterr()
        return self.stream.getvalue() + out + err


@pytest.fixture
def captured_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[CapturedOutput]:
    """Everything logged at any level by any logger (Powertools JSON included) plus stdout/stderr."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(payments_logger.registered_formatter)
    targets: list[Any] = [logging.getLogger(), logging.getLogger(payments_logger.service)]
    previous = [(target, target.level) for target in targets]
    for target in targets:
        target.addHandler(handler)
        target.setLevel(logging.DEBUG)
    try:
        yield CapturedOutput(stream, capfd)
    finally:
        for target, level in previous:
            target.removeHandler(handler)
            target.setLevel(level)

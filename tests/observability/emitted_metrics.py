"""What the payment functions really emit: run the handlers through functions/testkit (a real PostgreSQL
with TLS, moto) over the paths that produce each metric, and read the CloudWatch embedded-metric-format
documents Powertools prints to stdout.

Nothing here names a metric: the metrics come out of the handlers' own output, so an alarm on a
metric the functions never emit (a renamed metric, a dimension they do not add) fails the test that
compares the plans against this set.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from testkit.aws_support import (
    TRANSACTIONS_TABLE_NAME,
    AwsResources,
    create_resources,
    handler_environment,
    moto_server,
    process_environment,
    reset_moto,
    table_items,
)
from testkit.pg_server import APP_DATABASE, APP_USER, running_postgres

# The handlers' Powertools objects read these when payments.observability is first imported.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "payments")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Payments")

from payments import execution_environment
from payments.handlers import migrate_ledger, process_payment, settlement_worker
from payments.settings import MigrateLedgerSettings
from testkit.lambda_support import FakeLambdaContext, deliver_once, payment_event

BODY: dict[str, Any] = {
    "amount_minor": 1250,
    "currency": "USD",
    "merchant_id": "merchant-001",
    "payment_method_token": "pm_tok_abcdefgh",
}


@dataclass(frozen=True, order=True)
class EmittedMetric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]  # sorted (name, value) pairs of one dimension set


def parse_emf(output: str) -> set[EmittedMetric]:
    """Every (namespace, metric, dimension set) an EMF document on `output` declares."""
    found: set[EmittedMetric] = set()
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple(sorted((key, str(document[key])) for key in dimension_set))
                for metric in directive["Metrics"]:
                    found.add(EmittedMetric(directive["Namespace"], metric["Name"], dimensions))
    return found


def _reset() -> None:
    """A new execution environment: nothing the handlers cached (settings, clients, the database
    connection) outlives the moto server and PostgreSQL this module starts."""
    execution_environment.clear_caches()


def _submit(key: str | None) -> dict[str, Any]:
    response: dict[str, Any] = process_payment.handler(payment_event(BODY, key), FakeLambdaContext())
    return response


def _settle(aws: AwsResources) -> None:
    """Poll like the event source mapping until the queue is empty (failed messages go to the DLQ)."""
    for _ in range(10):
        if not deliver_once(aws.client("sqs"), aws.queue_url, settlement_worker.handler).received:
            return
    raise AssertionError("the payment queue was not drained")


def _scenarios(aws: AwsResources, patch: pytest.MonkeyPatch) -> None:
    """Every path that emits a metric: accept, replay, reject, settle, redeliver, fail, enqueue failure, skip."""
    sqs = aws.client("sqs")
    accepted = _submit("emf-accepted")
    assert accepted["statusCode"] == 202  # PaymentAccepted
    assert _submit("emf-accepted")["statusCode"] == 202  # PaymentReplayed
    assert _submit(None)["statusCode"] == 400  # PaymentRejected
    _settle(aws)  # PaymentSettled, TransactionLatency
    settled = json.loads(accepted["body"])["transaction_id"]
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({"transaction_id": settled}))  # redelivered
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody="not a settlement message")  # SettlementFailed
    _settle(aws)
    patch.setenv("PAYMENT_QUEUE_URL", aws.queue_url.replace("payments-test", "no-such-queue"))
    _reset()
    assert _submit("emf-enqueue-failed")["statusCode"] == 503  # EnqueueFailed, PaymentErrored
    patch.setenv("PAYMENT_QUEUE_URL", aws.queue_url)
    _reset()
    (failed,) = [
        item["transaction_id"]["S"]
        for item in table_items(aws, TRANSACTIONS_TABLE_NAME)
        if item["status"]["S"] == "FAILED"
    ]
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({"transaction_id": failed}))  # skipped
    _settle(aws)


@contextlib.contextmanager
def captured_stdout() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer


def emitted_by_the_functions() -> set[EmittedMetric]:
    """Start PostgreSQL and moto, configure the handlers as the application layer does, run the scenarios."""
    with running_postgres() as postgres, moto_server() as endpoint, pytest.MonkeyPatch.context() as patch:
        for name, value in process_environment(endpoint).items():
            patch.setenv(name, value)
        reset_moto(endpoint)
        aws = create_resources({"username": APP_USER, "password": postgres.app_password})
        variables = handler_environment(
            aws, db_host=postgres.host, db_port=postgres.port, db_name=APP_DATABASE, ca_file=str(postgres.pki.ca_file)
        )
        for name, value in variables.items():
            patch.setenv(name, value)
        _reset()
        migrate_ledger.migrate(MigrateLedgerSettings.from_environ(variables))
        try:
            with captured_stdout() as output:
                _scenarios(aws, patch)
        finally:
            _reset()
        return parse_emf(output.getvalue())

"""Payment-function figures for `make bench`, one per line; reported against their targets, never asserted.

- cold import time of each handler module (`python -X importtime`, fresh interpreter, Lambda-like
  environment, median and best of 7)
- size of the deployment zip (built first if missing)
- settlement by batch: a 1-message and a 10-message SQS batch through a warm worker handler,
  against a local PostgreSQL (TLS verify-full) and moto, with simulated service latency injected
  here only (every AWS HTTP request +10 ms through a botocore event hook, every PostgreSQL round
  trip +1 ms): the wall-time ratio of the two batches, AWS calls per settled transaction and
  PostgreSQL round trips per batch

The local servers and the Lambda stand-ins come from `testkit` (functions/testkit), the same ones
the test suite uses.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before the handlers are imported: the benchmark measures work, not log volume or tracing.
os.environ.update(
    {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "payments",
        "POWERTOOLS_METRICS_NAMESPACE": "Payments",
    }
)

import boto3
import package  # functions/package.py, next to this script
import pg8000.core

from payments.handlers import migrate_ledger, process_payment, settlement_worker
from payments.settings import MigrateLedgerSettings
from testkit.aws_support import create_resources, handler_environment, moto_server_process, process_environment
from testkit.lambda_support import FakeLambdaContext, payment_event, sqs_event
from testkit.pg_server import APP_DATABASE, APP_USER, WRITER_USER, running_postgres

FUNCTIONS = Path(__file__).resolve().parent
HANDLERS = ("process_payment", "verify_payment", "settlement_worker")
IMPORT_TARGET_MS = 300
ZIP_TARGET_MB = 15
IMPORT_RUNS = 7
AWS_LATENCY_SECONDS = 0.010
POSTGRES_LATENCY_SECONDS = 0.001
BATCH_RATIO_TARGET = 3.0
SETTLEMENT_RUNS = 5


def _within(ok: bool) -> str:
    return "within target" if ok else "OVER TARGET"


def _lambda_like_environment() -> dict[str, str]:
    """What the python3.11 runtime sets before importing a handler; tracing is on, as deployed.

    LAMBDA_TASK_ROOT matters: outside Lambda the X-Ray SDK builds a centralized-sampling client at
    import, which it never does on Lambda.
    """
    environment = {name: value for name, value in os.environ.items() if name != "POWERTOOLS_TRACE_DISABLED"}
    environment.update(
        {
            "LAMBDA_TASK_ROOT": str(FUNCTIONS),
            "AWS_LAMBDA_FUNCTION_NAME": "payments-bench",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
    )
    return environment


def import_ms(module: str) -> float:
    """Cumulative import time of `module` in a fresh interpreter, from -X importtime."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        env=_lambda_like_environment(),
    )
    for line in reversed(result.stderr.splitlines()):
        fields = [field.strip() for field in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[2] == module:
            return int(fields[1]) / 1000
    raise RuntimeError(f"no -X importtime line for {module}")


def report_imports() -> None:
    for handler in HANDLERS:
        module = f"payments.handlers.{handler}"
        times = [import_ms(module) for _ in range(IMPORT_RUNS)]
        median = statistics.median(times)
        print(
            f"cold import {module}: {median:.0f} ms median, {min(times):.0f} ms best of {IMPORT_RUNS} "
            f"(target < {IMPORT_TARGET_MS} ms: {_within(median < IMPORT_TARGET_MS)})"
        )


def report_zip() -> None:
    artifact = package.OUTPUT if package.OUTPUT.is_file() else package.build()
    size_mb = artifact.stat().st_size / 1_000_000
    print(f"lambda zip size: {size_mb:.2f} MB (target < {ZIP_TARGET_MB} MB: {_within(size_mb < ZIP_TARGET_MB)})")


class SimulatedLatency:
    """Service latency for the benchmark only, counting what it delays while `measuring()` is active.

    AWS: a botocore `before-send` handler on the default session (which `payments.aws_clients`
    builds its clients from), so every HTTP request, retries included, waits 10 ms. PostgreSQL:
    pg8000 flushes its socket once per round trip (a simple query is one, a statement with
    parameters three: parse, describe, bind/execute), so each flush waits 1 ms.
    """

    def __init__(self) -> None:
        self._active = False
        self._lock = threading.Lock()
        self.aws_calls = 0
        self.pg_round_trips = 0
        self.pg_statements = 0

    def install(self) -> None:
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-send", self._aws_request)
        flush = pg8000.core._flush
        execute_simple = pg8000.core.CoreConnection.execute_simple
        execute_unnamed = pg8000.core.CoreConnection.execute_unnamed

        def delayed_flush(sock: Any) -> None:
            if self._active:
                self._count("pg_round_trips")
                time.sleep(POSTGRES_LATENCY_SECONDS)
            flush(sock)

        def counted_simple(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self._count("pg_statements")
            return execute_simple(connection, *args, **kwargs)

        def counted_unnamed(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self._count("pg_statements")
            return execute_unnamed(connection, *args, **kwargs)

        pg8000.core._flush = delayed_flush  # looked up as a module global at every call
        pg8000.core.CoreConnection.execute_simple = counted_simple
        pg8000.core.CoreConnection.execute_unnamed = counted_unnamed

    def _count(self, counter: str) -> None:
        if self._active:
            with self._lock:
                setattr(self, counter, getattr(self, counter) + 1)

    def _aws_request(self, **_: Any) -> None:
        if self._active:
            self._count("aws_calls")
            time.sleep(AWS_LATENCY_SECONDS)

    @contextlib.contextmanager
    def measuring(self) -> Iterator[None]:
        self.aws_calls = self.pg_round_trips = self.pg_statements = 0
        self._active = True
        try:
            yield
        finally:
            self._active = False


@dataclass(frozen=True)
class BatchRun:
    size: int
    seconds: float
    failed: int
    aws_calls: int
    pg_round_trips: int
    pg_statements: int


def _metrics_to_nowhere() -> contextlib.AbstractContextManager[object]:
    """The handlers print their metrics (CloudWatch EMF) to stdout; keep them out of the report."""
    return contextlib.redirect_stdout(io.StringIO())


class SettlementBench:
    def __init__(self, resources: Any, latency: SimulatedLatency) -> None:
        self._resources = resources
        self._latency = latency
        self._sqs = resources.client("sqs")
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=resources.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    @staticmethod
    def _key() -> str:
        """A fresh Idempotency-Key, as clients send them (a UUIDv4)."""
        return str(uuid.uuid4())

    def _accept(self, count: int) -> list[dict[str, Any]]:
        body = {
            "amount_minor": 1250,
            "currency": "USD",
            "payment_method_token": "pm_bench_0001",
        }
        for _ in range(count):
            with _metrics_to_nowhere():
                response = process_payment.handler(payment_event(body, key=self._key()), FakeLambdaContext())
            if response["statusCode"] != 202:
                raise RuntimeError(f"process-payment answered {response['statusCode']}: {response['body']}")
        messages: list[dict[str, Any]] = []
        while len(messages) < count:
            messages += self._sqs.receive_message(
                QueueUrl=self._resources.queue_url,
                MaxNumberOfMessages=min(10, count - len(messages)),
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        return messages

    def run(self, size: int) -> BatchRun:
        messages = self._accept(size)
        event = sqs_event(messages, self._queue_arn)
        with _metrics_to_nowhere(), self._latency.measuring():
            started = time.perf_counter()
            result = settlement_worker.handler(event, FakeLambdaContext())
            elapsed = time.perf_counter() - started
            run = BatchRun(
                size=size,
                seconds=elapsed,
                failed=len(result["batchItemFailures"]),
                aws_calls=self._latency.aws_calls,
                pg_round_trips=self._latency.pg_round_trips,
                pg_statements=self._latency.pg_statements,
            )
        for message in messages:
            self._sqs.delete_message(QueueUrl=self._resources.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return run


def report_settlement() -> None:
    latency = SimulatedLatency()
    latency.install()  # before any client exists, so every client carries the hook
    with running_postgres() as postgres, moto_server_process() as endpoint:
        os.environ.update(process_environment(endpoint))
        resources = create_resources(
            {"username": APP_USER, "password": postgres.app_password},
            {"username": WRITER_USER, "password": postgres.writer_password},
        )
        environment = handler_environment(
            resources,
            db_host=postgres.host,
            db_port=postgres.port,
            db_name=APP_DATABASE,
            ca_file=str(postgres.pki.ca_file),
        )
        os.environ.update(environment)
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        migrate_ledger.migrate(MigrateLedgerSettings.from_environ(environment))  # the deploy's migration step
        bench = SettlementBench(resources, latency)
        bench.run(10)  # warm: connection, TLS, secret, clients
        runs = {size: [bench.run(size) for _ in range(SETTLEMENT_RUNS)] for size in (1, 10)}
    single, batch = (statistics.median(run.seconds for run in runs[size]) for size in (1, 10))
    ten = runs[10][-1]
    failed = sum(run.failed for size_runs in runs.values() for run in size_runs)
    label = (
        f"simulated latency: AWS +{AWS_LATENCY_SECONDS * 1000:.0f} ms/call, "
        f"PostgreSQL +{POSTGRES_LATENCY_SECONDS * 1000:.0f} ms/round trip; median of {SETTLEMENT_RUNS}, warm worker"
    )
    print(f"settlement by batch ({label}):")
    print(f"  1-message batch: {single * 1000:.0f} ms; 10-message batch: {batch * 1000:.0f} ms ({failed} failed)")
    ratio = batch / single
    print(
        f"  10-message / 1-message wall time: {ratio:.2f} "
        f"(target <= {BATCH_RATIO_TARGET:.0f}: {_within(ratio <= BATCH_RATIO_TARGET)})"
    )
    print(f"  AWS calls per settled transaction: {ten.aws_calls / ten.size:.1f} ({ten.aws_calls} for {ten.size})")
    print(
        f"  PostgreSQL round trips per 10-message batch: {ten.pg_round_trips} "
        f"({ten.pg_statements} statements; 1-message batch: {runs[1][-1].pg_round_trips})"
    )


def main() -> int:
    print("payment functions")
    if "--settlement-only" not in sys.argv[1:]:  # the full report otherwise (`make bench`)
        report_imports()
        report_zip()
    report_settlement()
    return 0


if __name__ == "__main__":
    sys.exit(main())

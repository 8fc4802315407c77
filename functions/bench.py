"""Payment-function figures for `make bench`, one per line; reported against their targets, never asserted.

- cold import of each handler module as a ratio to `import boto3` measured in the same run: CPU
  time of fresh interpreters in a Lambda-like environment, importing from bytecode compiled for the
  run, alternating so machine load weighs on all alike, best of 9; with the floors below a
  handler's own code: what every handler imports, and what one with a database does
- size of the deployment zip (built first if missing)
- settlement by batch: a 1-message and a 10-message SQS batch through a warm worker handler,
  against a local PostgreSQL (TLS verify-full) and moto, with simulated service latency injected
  here only (every AWS HTTP request +10 ms through a botocore event hook, every PostgreSQL round
  trip +1 ms): the wall-time ratio of the two batches without moto's own processing, AWS calls per
  settled transaction and PostgreSQL round trips per batch

Why the ratio leaves moto's processing out (the wall time with it is printed too): an AWS request's
latency includes the service's work, and the simulated +10 ms stands for that latency, so moto's
time on top of it counts AWS's work a second time, at the speed of a Python emulator sharing this
machine's cores with the worker and PostgreSQL. For every entry of a TransactWriteItems request
moto deep-copies the whole table (for its rollback) and parses the entry's condition expression
three times and its update expression twice: about 2 ms an entry, so the batch's two requests of
10 entries cost it some 40 ms more than two of 1, most of what the 10-message batch took over the
1-message one. moto serves one request at a time and says on each response how long it worked on
it (testkit), so those times add up to the time it was busy with the worker's requests: that alone
is taken out of the batch's wall time. PostgreSQL is the real database: all its time counts, as do
the worker's own work, the loopback HTTP and the simulated latency.

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
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before the handlers are imported: the benchmark measures work, not log volume.
os.environ.update(
    {
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
from payments.storage_schema import TRANSACTION
from testkit.aws_support import (
    PROCESSING_TIME_HEADER,
    TRANSACTIONS_TABLE_NAME,
    create_resources,
    handler_environment,
    moto_server_process,
    process_environment,
    table_items,
)
from testkit.lambda_support import FakeLambdaContext, payment_event, sqs_event
from testkit.pg_server import APP_DATABASE, APP_USER, running_postgres

FUNCTIONS = Path(__file__).resolve().parent
HANDLERS = ("process_payment", "verify_payment", "alb_api", "settlement_worker", "migrate_ledger")
IMPORT_RATIO_TARGET = 1.3  # a handler's cold import over `import boto3`: about 150 ms on a quiet machine
ZIP_TARGET_MB = 15
IMPORT_RUNS = 9
AWS_LATENCY_SECONDS = 0.010
POSTGRES_LATENCY_SECONDS = 0.001
BATCH_RATIO_TARGET = 1.5
CALLS_PER_TRANSACTION_TARGET = 1.3
SETTLEMENT_RUNS = 9


def _within(ok: bool) -> str:
    return "within target" if ok else "OVER TARGET"


def _lambda_like_environment(bytecode: Path) -> dict[str, str]:
    """What the python3.11 runtime sets before importing a handler; modules compile to and load from
    `bytecode` alone, never the .pyc files next to them."""
    environment = dict(os.environ)
    environment.update(
        {
            "LAMBDA_TASK_ROOT": str(FUNCTIONS),
            "AWS_LAMBDA_FUNCTION_NAME": "payments-bench",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "PYTHONPYCACHEPREFIX": str(bytecode),
        }
    )
    return environment


# The least every handler imports, its own code aside: boto3, the Powertools logger and metrics
# (payments.observability) and msgspec with a model (payments.models).
HANDLER_FLOOR = (
    "import boto3\n"
    "import msgspec\n"
    "from aws_lambda_powertools import Logger, Metrics\n"
    "Logger(); Metrics()\n"
    "class Probe(msgspec.Struct):\n"
    "    amount_minor: int\n"
)
# What a handler with a database adds to it: the PostgreSQL driver, pg8000, which imports scramp and asn1crypto
# (the migration step also imports the Powertools parameters utility, for the owner's secret).
DATABASE_FLOOR = HANDLER_FLOOR + "import pg8000.native\n"


def import_cpu_ms(code: str, bytecode: Path) -> float:
    """CPU time (user + system) `code` takes in a fresh interpreter, measured inside it: what the import
    costs, without the interpreter's start and exit, and unlike wall time hardly changed by other
    processes competing for the machine."""
    timed = f"import time\nstarted = time.process_time()\n{code}\nprint(time.process_time() - started)\n"
    result = subprocess.run(
        [sys.executable, "-c", timed],
        capture_output=True,
        text=True,
        check=True,
        env=_lambda_like_environment(bytecode),
    )
    return float(result.stdout.splitlines()[-1]) * 1000


def _compile(code: str, bytecode: Path) -> None:
    """Run `code` once, untimed, writing the bytecode of every module it imports to `bytecode`."""
    environment = _lambda_like_environment(bytecode)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=environment)


def report_imports() -> None:
    """Each handler's cold import against `import boto3`, all alternating in one run so machine load weighs
    on them alike."""
    probes = {
        "boto3": "import boto3",
        **{handler: f"import payments.handlers.{handler}" for handler in HANDLERS},
        "handler floor": HANDLER_FLOOR,
        "database floor": DATABASE_FLOOR,
    }
    times: dict[str, list[float]] = {name: [] for name in probes}
    # Every probe imports from bytecode compiled for this run. With the .pyc files beside the sources a figure
    # would depend on which happen to exist and be current: uv installs packages without any, a machine with
    # PYTHONDONTWRITEBYTECODE set never writes them, and every file edited since has a stale one; compiling a
    # module can cost more than running it.
    with tempfile.TemporaryDirectory(prefix="bench-bytecode-") as directory:
        bytecode = Path(directory)
        for code in probes.values():
            _compile(code, bytecode)
        for _ in range(IMPORT_RUNS):
            for name, code in probes.items():
                times[name].append(import_cpu_ms(code, bytecode))
    # The least of several runs: what the import costs when nothing else slowed it down (other processes only
    # ever add time, through the caches and cores they share).
    cost = {name: min(times[name]) for name in probes}
    print(f"cold import, CPU ms, best of {IMPORT_RUNS}: boto3 {cost['boto3']:.0f} ms")
    for handler in HANDLERS:
        ratio = cost[handler] / cost["boto3"]
        print(
            f"  payments.handlers.{handler}: {cost[handler]:.0f} ms, {ratio:.2f}x boto3 "
            f"(target <= {IMPORT_RATIO_TARGET}x: {_within(ratio <= IMPORT_RATIO_TARGET)})"
        )
    for name, what in (
        ("handler floor", "what every handler imports: boto3, the Powertools logger and metrics, a msgspec model"),
        ("database floor", "what one with a database imports: the same and pg8000"),
    ):
        print(f"  {what}: {cost[name]:.0f} ms, {cost[name] / cost['boto3']:.2f}x boto3")


def report_zip() -> None:
    artifact = package.OUTPUT if package.OUTPUT.is_file() else package.build()
    size_mb = artifact.stat().st_size / 1_000_000
    print(f"lambda zip size: {size_mb:.2f} MB (target < {ZIP_TARGET_MB} MB: {_within(size_mb < ZIP_TARGET_MB)})")


class SimulatedLatency:
    """Service latency for the benchmark only, counting what it delays while `measuring()` is active, and
    moto's processing time on those requests.

    AWS: a botocore `before-send` handler on the default session (which `payments.aws_clients`
    builds its clients from), so every HTTP request, retries included, waits 10 ms; a
    `response-received` handler adds up the time moto says it took on each (PROCESSING_TIME_HEADER).
    PostgreSQL: pg8000 flushes its socket once per round trip (a simple query is one, a statement
    with parameters three: parse, describe, bind/execute), so each flush waits 1 ms.
    """

    def __init__(self) -> None:
        self._active = False
        self._lock = threading.Lock()
        self.aws_calls = 0
        self.moto_seconds = 0.0
        self.pg_round_trips = 0
        self.pg_statements = 0

    def install(self) -> None:
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-send", self._aws_request)
        boto3.DEFAULT_SESSION.events.register("response-received", self._aws_response)
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

    def _aws_response(self, response_dict: dict[str, Any] | None = None, **_: Any) -> None:
        if self._active and response_dict is not None:  # None: no response (a connection error)
            seconds = float(response_dict["headers"][PROCESSING_TIME_HEADER])
            with self._lock:
                self.moto_seconds += seconds

    @contextlib.contextmanager
    def measuring(self) -> Iterator[None]:
        self.aws_calls = self.pg_round_trips = self.pg_statements = 0
        self.moto_seconds = 0.0
        self._active = True
        try:
            yield
        finally:
            self._active = False


@dataclass(frozen=True)
class BatchRun:
    size: int
    seconds: float
    moto_seconds: float  # moto's processing of the worker's requests, one at a time: part of `seconds`
    cpu_seconds: float  # the worker's own (this process; moto and PostgreSQL run in others)
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
            started, started_cpu = time.perf_counter(), time.process_time()
            result = settlement_worker.handler(event, FakeLambdaContext())
            elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            run = BatchRun(
                size=size,
                seconds=elapsed,
                moto_seconds=self._latency.moto_seconds,
                cpu_seconds=cpu,
                failed=len(result["batchItemFailures"]),
                aws_calls=self._latency.aws_calls,
                pg_round_trips=self._latency.pg_round_trips,
                pg_statements=self._latency.pg_statements,
            )
        for message in messages:
            self._sqs.delete_message(QueueUrl=self._resources.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self._forget_transactions()
        return run

    def _forget_transactions(self) -> None:
        """Empty the emulated transactions table between runs: moto copies the whole table for every entry of
        a TransactWriteItems request (its rollback), work that grows with the table and that DynamoDB does
        not do, so it would weigh on later runs only."""
        dynamodb = self._resources.client("dynamodb")
        for item in table_items(self._resources, TRANSACTIONS_TABLE_NAME):
            dynamodb.delete_item(
                TableName=TRANSACTIONS_TABLE_NAME, Key={TRANSACTION.transaction_id: item[TRANSACTION.transaction_id]}
            )


def report_settlement() -> None:
    latency = SimulatedLatency()
    latency.install()  # before any client exists, so every client carries the hook
    with running_postgres() as postgres, moto_server_process() as endpoint:
        os.environ.update(process_environment(endpoint))
        resources = create_resources({"username": APP_USER, "password": postgres.app_password})
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
        # SNS delivers to subscribers after it answers the publisher; moto delivers inside the request, one
        # subscriber message per entry, so the test observer queue would weigh on the publisher here.
        sns = resources.client("sns")
        for subscription in sns.list_subscriptions_by_topic(TopicArn=resources.topic_arn)["Subscriptions"]:
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        bench = SettlementBench(resources, latency)
        bench.run(10)  # warm: connection, TLS, secret, clients
        runs: dict[int, list[BatchRun]] = {1: [], 10: []}
        for _ in range(SETTLEMENT_RUNS):  # alternating, so machine load weighs on both sizes alike
            for size, size_runs in runs.items():
                size_runs.append(bench.run(size))

    def medians(value: Callable[[BatchRun], float]) -> tuple[float, float]:
        """`value`'s median over the 1-message runs and over the 10-message runs."""
        return statistics.median(map(value, runs[1])), statistics.median(map(value, runs[10]))

    single, batch = medians(lambda run: run.seconds)
    single_moto, batch_moto = medians(lambda run: run.moto_seconds)
    single_net, batch_net = medians(lambda run: run.seconds - run.moto_seconds)
    single_cpu, batch_cpu = medians(lambda run: run.cpu_seconds)
    ten = runs[10][-1]
    failed = sum(run.failed for size_runs in runs.values() for run in size_runs)
    label = (
        f"simulated latency: AWS +{AWS_LATENCY_SECONDS * 1000:.0f} ms/call, "
        f"PostgreSQL +{POSTGRES_LATENCY_SECONDS * 1000:.0f} ms/round trip; "
        f"median of {SETTLEMENT_RUNS} alternating, warm worker"
    )
    print(f"settlement by batch ({label}):")
    print(f"  1-message batch: {single * 1000:.0f} ms; 10-message batch: {batch * 1000:.0f} ms ({failed} failed)")
    print(
        f"  moto's processing of the worker's requests, in its process: {single_moto * 1000:.0f} ms; "
        f"{batch_moto * 1000:.0f} ms (the emulator's time, not AWS's: the simulated latency is AWS's)"
    )
    print(
        f"  without it: {single_net * 1000:.0f} ms; {batch_net * 1000:.0f} ms, of which the worker's own CPU time "
        f"{single_cpu * 1000:.0f} ms; {batch_cpu * 1000:.0f} ms (the rest: the simulated latency, PostgreSQL, the "
        "loopback HTTP)"
    )
    ratio = batch_net / single_net
    print(
        f"  10-message / 1-message wall time without moto's processing: {ratio:.2f} "
        f"(target <= {BATCH_RATIO_TARGET}: {_within(ratio <= BATCH_RATIO_TARGET)}); with it: {batch / single:.2f}"
    )
    per_transaction = ten.aws_calls / ten.size
    print(
        f"  AWS calls per settled transaction: {per_transaction:.1f} ({ten.aws_calls} for {ten.size}; "
        f"target <= {CALLS_PER_TRANSACTION_TARGET}: {_within(per_transaction <= CALLS_PER_TRANSACTION_TARGET)})"
    )
    print(
        f"  PostgreSQL round trips per 10-message batch: {ten.pg_round_trips} "
        f"({ten.pg_statements} statements; 1-message batch: {runs[1][-1].pg_round_trips})"
    )


def main() -> int:
    print("payment functions")
    only = {argument.removeprefix("--").removesuffix("-only") for argument in sys.argv[1:]}
    if not only or "imports" in only:
        report_imports()
    if not only:
        report_zip()
    if not only or "settlement" in only:
        report_settlement()
    return 0


if __name__ == "__main__":
    sys.exit(main())

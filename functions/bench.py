"""Payment-function figures for `make bench`, one per line; reported against their targets, never asserted.

- cold import time of each handler module (`python -X importtime`, fresh interpreter, Lambda-like
  environment, median and best of 7)
- size of the deployment zip (built first if missing)
- settlement throughput: one 10-message SQS batch through the worker handler, against a local
  PostgreSQL (TLS verify-full) and moto, first on a cold worker (connect, TLS, secret, migrations)
  and then warm
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parent
sys.path[:0] = [str(FUNCTIONS), str(FUNCTIONS / "tests")]

# Before the handlers are imported: the benchmark measures work, not log volume or tracing.
os.environ.update(
    {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "payments",
        "POWERTOOLS_METRICS_NAMESPACE": "Payments",
    }
)

import package  # noqa: E402  (functions/package.py)
from aws_support import (  # noqa: E402  (functions/tests: the test suite's servers, reused)
    create_resources,
    handler_environment,
    moto_server,
    process_environment,
)
from lambda_support import FakeLambdaContext, payment_event, sqs_event  # noqa: E402
from pg_server import APP_DATABASE, APP_USER, running_postgres  # noqa: E402

from payments.handlers import process_payment, settlement_worker  # noqa: E402

HANDLERS = ("process_payment", "verify_payment", "settlement_worker")
IMPORT_TARGET_MS = 300
ZIP_TARGET_MB = 15
IMPORT_RUNS = 7
BATCH = 10


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


def _metrics_to_nowhere() -> contextlib.AbstractContextManager[object]:
    """The handlers print their metrics (CloudWatch EMF) to stdout; keep them out of the report."""
    return contextlib.redirect_stdout(io.StringIO())


def report_settlement() -> None:
    with running_postgres() as postgres, moto_server() as endpoint:
        os.environ.update(process_environment(endpoint))
        resources = create_resources({"username": APP_USER, "password": postgres.app_password})
        os.environ.update(
            handler_environment(
                resources,
                db_host=postgres.host,
                db_port=postgres.port,
                db_name=APP_DATABASE,
                ca_file=str(postgres.pki.ca_file),
            )
        )
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        sqs = resources.client("sqs")
        queue_arn = sqs.get_queue_attributes(QueueUrl=resources.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        body = {
            "amount_minor": 1250,
            "currency": "USD",
            "merchant_id": "bench-merchant",
            "payment_method_token": "pm_bench_0001",
        }
        for label in ("cold worker", "warm worker"):
            for _ in range(BATCH):
                with _metrics_to_nowhere():
                    response = process_payment.handler(
                        payment_event(body, key=f"bench-{uuid.uuid4()}"), FakeLambdaContext()
                    )
                if response["statusCode"] != 202:
                    raise RuntimeError(f"process-payment answered {response['statusCode']}: {response['body']}")
            messages: list[dict[str, object]] = []
            while len(messages) < BATCH:
                messages += sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=BATCH).get(
                    "Messages", []
                )
            event = sqs_event(messages, queue_arn)
            with _metrics_to_nowhere():
                started = time.perf_counter()
                result = settlement_worker.handler(event, FakeLambdaContext())
                elapsed = time.perf_counter() - started
            failed = len(result["batchItemFailures"])
            print(
                f"settlement throughput ({label}, {BATCH}-message batch, local PostgreSQL over TLS + moto): "
                f"{BATCH / elapsed:.1f} transactions/s ({elapsed * 1000:.0f} ms, {failed} failed)"
            )
            for message in messages:
                sqs.delete_message(QueueUrl=resources.queue_url, ReceiptHandle=message["ReceiptHandle"])


def main() -> int:
    print("payment functions")
    report_imports()
    report_zip()
    report_settlement()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The AWS side of the tests and the benchmark: a moto server and the resources the application layer makes.

Everything runs against one moto server on 127.0.0.1 (real HTTP, clients on many threads), in the
tests' process or, for measurements, in a process of its own; boto3 reaches it through
AWS_ENDPOINT_URL. The server handles one request at a time: moto's backends are not safe under
concurrent requests, and its TransactWriteItems undoes a failed transaction by restoring a copy of
the whole table taken when the request started, which would also undo writes other requests made
meanwhile. DynamoDB isolates transactions; serving requests one at a time does too. Each response
carries the time moto took to produce it (`PROCESSING_TIME_HEADER`), which the benchmark leaves
out of its figures (functions/bench.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from payments.key_hashing import KeyHasher
from payments.storage_schema import (
    IDEMPOTENCY_TABLE,
    MERCHANT,
    MERCHANTS_TABLE,
    TRANSACTIONS_TABLE,
    TableSchema,
    digest_shard_items,
    merchant_item,
    merchant_lookup,
)
from testkit.pg_server import WRITER_USER

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
TRANSACTIONS_TABLE_NAME = "transactions-test"
IDEMPOTENCY_TABLE_NAME = "idempotency-test"
MERCHANTS_TABLE_NAME = "merchants-test"
MAX_RECEIVE_COUNT = 2
# The merchants the application layer would declare: API Gateway key id -> merchant, and each key's value
# (test values: what a merchant presents in x-api-key on the ALB door).
MERCHANT_API_KEY_ID = "test-key"
OTHER_MERCHANT_API_KEY_ID = "other-key"
MERCHANTS_BY_API_KEY_ID = {MERCHANT_API_KEY_ID: "merchant-001", OTHER_MERCHANT_API_KEY_ID: "merchant-002"}
MERCHANT_API_KEY = "merchant-one-api-key-value-0001"
OTHER_MERCHANT_API_KEY = "merchant-two-api-key-value-0002"
API_KEY_VALUES = {MERCHANT_API_KEY_ID: MERCHANT_API_KEY, OTHER_MERCHANT_API_KEY_ID: OTHER_MERCHANT_API_KEY}

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Seconds from moto receiving the request to its response starting (moto's work, the lock's wait excluded).
PROCESSING_TIME_HEADER = "x-moto-processing-seconds"


class _OneRequestAtATime:
    """A WSGI application serving its requests one after the other, each response saying how long it took
    (see the module docstring)."""

    def __init__(self, application: Any) -> None:
        self._application = application
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            started = time.perf_counter()

            def timed_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                elapsed = f"{time.perf_counter() - started:.6f}"
                return start_response(status, [*headers, (PROCESSING_TIME_HEADER, elapsed)], exc_info)

            return list(self._application(environ, timed_start_response))


def _server(port: int) -> BaseWSGIServer:
    """moto on 127.0.0.1:`port` (0: a free port), not yet serving."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per AWS call otherwise
    application = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
    return make_server("127.0.0.1", port, application, threaded=True)


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto on a free loopback port; yield its endpoint URL."""
    server = _server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def moto_server_process() -> Iterator[str]:
    """moto in a process of its own on a free loopback port; yield its endpoint URL.

    For measurements: the simulated services' work does not compete with the code under test for
    this interpreter's GIL, as real AWS services do not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", f"from testkit.aws_support import serve_moto; serve_moto({port})"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reset_moto(endpoint)
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server process did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)


def serve_moto(port: int) -> None:
    """What the process of `moto_server_process` runs: the tests' moto server, on `port`, until the process ends."""
    _server(port).serve_forever()


def reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback moto server)
        response.read()


@dataclass(frozen=True)
class AwsResources:
    clients: Mapping[str, Any]
    kms_key_arn: str
    queue_url: str
    dlq_url: str
    topic_arn: str
    notifications_queue_url: str
    bucket: str
    secret_arn: str  # the ledger owner's credentials (the RDS master secret): the migration step only
    key_hash_parameter_name: str
    key_hash_key: str  # the parameter's value (a test value)

    def client(self, service: str) -> Any:
        return self.clients[service]


def _create_table(dynamodb: Any, name: str, schema: TableSchema, kms_key_arn: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=schema.key_schema(),
        AttributeDefinitions=schema.attribute_definitions(),
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_arn},
    )
    if schema.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl_attribute}
        )


def create_resources(db_secret: Mapping[str, str]) -> AwsResources:
    """What the data and application layers create, at test scale (receives before DLQ: MAX_RECEIVE_COUNT).

    `db_secret`: the ledger owner's credentials (the ledger writer has none: it signs in with IAM).
    """
    clients = {name: boto3.client(name) for name in ("dynamodb", "sqs", "sns", "s3", "kms", "secretsmanager", "ssm")}
    kms_key_arn = clients["kms"].create_key(Description="payments test key")["KeyMetadata"]["Arn"]
    _create_table(clients["dynamodb"], TRANSACTIONS_TABLE_NAME, TRANSACTIONS_TABLE, kms_key_arn)
    _create_table(clients["dynamodb"], IDEMPOTENCY_TABLE_NAME, IDEMPOTENCY_TABLE, kms_key_arn)
    _create_table(clients["dynamodb"], MERCHANTS_TABLE_NAME, MERCHANTS_TABLE, kms_key_arn)
    key_hash_key = secrets.token_hex(32)
    key_hash_parameter_name = create_key_hash_parameter(clients["ssm"], kms_key_arn, key_hash_key)
    write_merchant_directory(clients["dynamodb"], KeyHasher(key_hash_key.encode()), MERCHANTS_BY_API_KEY_ID)

    sqs = clients["sqs"]
    dlq_url = sqs.create_queue(QueueName="payments-dlq-test", Attributes={"KmsMasterKeyId": kms_key_arn})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="payments-test",
        Attributes={
            "KmsMasterKeyId": kms_key_arn,
            # 0 s so a failed message is visible again at once; the real queue waits out the Lambda timeout.
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
        },
    )["QueueUrl"]

    topic_arn = clients["sns"].create_topic(
        Name="payments-notifications-test", Attributes={"KmsMasterKeyId": kms_key_arn}
    )["TopicArn"]
    notifications_queue_url = sqs.create_queue(QueueName="notifications-observer-test")["QueueUrl"]
    notifications_arn = sqs.get_queue_attributes(QueueUrl=notifications_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    clients["sns"].subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=notifications_arn, Attributes={"RawMessageDelivery": "true"}
    )

    bucket = "payments-audit-test"
    clients["s3"].create_bucket(Bucket=bucket)
    secret_arn = clients["secretsmanager"].create_secret(
        Name="payments/db-test", SecretString=json.dumps(dict(db_secret)), KmsKeyId=kms_key_arn
    )["ARN"]
    return AwsResources(
        clients=clients,
        kms_key_arn=kms_key_arn,
        queue_url=queue_url,
        dlq_url=dlq_url,
        topic_arn=topic_arn,
        notifications_queue_url=notifications_queue_url,
        bucket=bucket,
        secret_arn=secret_arn,
        key_hash_parameter_name=key_hash_parameter_name,
        key_hash_key=key_hash_key,
    )


def create_key_hash_parameter(ssm: Any, kms_key_arn: str, value: str) -> str:
    """The key of the keyed hashes (KEY_HASH_PARAMETER_NAME), a SecureString under the key; its name."""
    name = f"/key-hash-test-{secrets.token_hex(4)}"
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", KeyId=kms_key_arn, Tier="Standard")
    return name


def write_merchant_directory(dynamodb: Any, hasher: KeyHasher, merchants_by_api_key_id: Mapping[str, str]) -> None:
    """What the application layer's deploy writes into the merchants table for these merchants (key id ->
    merchant), with the ALB door's digest shards of their keys' values (`API_KEY_VALUES`)."""
    digests = {hasher.api_key_digest(API_KEY_VALUES[key_id]): key_id for key_id in merchants_by_api_key_id}
    items = [merchant_item(key_id, merchant) for key_id, merchant in merchants_by_api_key_id.items()]
    for item in [*items, *digest_shard_items(digests)]:
        dynamodb.put_item(TableName=MERCHANTS_TABLE_NAME, Item=item)


def revoke_api_key(resources: AwsResources, api_key_id: str) -> None:
    """What the deploy does when a merchant's key goes (offboarding, a leaked key replaced): its items leave
    the merchants table."""
    remaining = {key_id: merchant for key_id, merchant in MERCHANTS_BY_API_KEY_ID.items() if key_id != api_key_id}
    dynamodb = resources.client("dynamodb")
    dynamodb.delete_item(TableName=MERCHANTS_TABLE_NAME, Key={MERCHANT.lookup: {"S": merchant_lookup(api_key_id)}})
    write_merchant_directory(dynamodb, KeyHasher(resources.key_hash_key.encode()), remaining)


def handler_environment(
    resources: AwsResources, *, db_host: str, db_port: int, db_name: str, ca_file: str
) -> dict[str, str]:
    """The environment the application layer sets on the functions (each reads its own subset)."""
    return {
        "POWERTOOLS_SERVICE_NAME": "payments",
        "POWERTOOLS_METRICS_NAMESPACE": "Payments",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "TRANSACTIONS_TABLE_NAME": TRANSACTIONS_TABLE_NAME,
        "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE_NAME,
        "PAYMENT_QUEUE_URL": resources.queue_url,
        "MAX_AMOUNT_MINOR_UNITS": "1000000",
        "ALLOWED_CURRENCIES": "USD,EUR,GBP",
        "NOTIFICATION_TOPIC_ARN": resources.topic_arn,
        "AUDIT_BUCKET_NAME": resources.bucket,
        "AUDIT_KMS_KEY_ARN": resources.kms_key_arn,
        "DB_OWNER_SECRET_ARN": resources.secret_arn,
        "DB_WRITER_USER": WRITER_USER,
        "DB_PROXY_ENDPOINT": db_host,
        "DB_PORT": str(db_port),
        "DB_NAME": db_name,
        "DB_CA_BUNDLE_PATH": ca_file,
        "DB_CONNECT_TIMEOUT_SECONDS": "10",
        "KEY_HASH_PARAMETER_NAME": resources.key_hash_parameter_name,
        "MERCHANTS_TABLE_NAME": MERCHANTS_TABLE_NAME,
    }


def process_environment(endpoint: str) -> dict[str, str]:
    """Points every boto3 client of the process at moto with fake credentials (no real AWS, ever)."""
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}


def table_items(resources: AwsResources, table: str) -> list[dict[str, Any]]:
    return list(resources.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"])

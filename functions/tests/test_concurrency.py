"""50 simultaneous requests with one Idempotency-Key: one transaction, one message, one ledger row."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from payment_support import error_code, submit
from settlement_support import drain, ledger_rows, notifications

from testkit.aws_support import TRANSACTIONS_TABLE_NAME, AwsResources, table_items
from testkit.lambda_support import body_of, queue_depth
from testkit.pg_server import PostgresServer

REQUESTS = 50


# The threads share one process, so one thread's metrics flush can find another's metric set empty.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_fifty_concurrent_requests_with_one_key_make_one_payment(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    start = threading.Barrier(REQUESTS)

    def request(_: int) -> dict[str, Any]:
        start.wait(30)
        return submit(key="one-key-for-fifty")

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        responses = list(pool.map(request, range(REQUESTS)))

    codes = Counter(response["statusCode"] for response in responses)
    assert set(codes) <= {202, 409}, codes
    assert codes[409] >= 1, f"the requests did not overlap, so this proved nothing: {codes}"
    assert all(error_code(response) == "REQUEST_IN_PROGRESS" for response in responses if response["statusCode"] == 409)
    accepted_ids = {body_of(response)["transaction_id"] for response in responses if response["statusCode"] == 202}
    assert len(accepted_ids) == 1, accepted_ids
    (transaction_id,) = accepted_ids
    assert [item["transaction_id"]["S"] for item in table_items(aws, TRANSACTIONS_TABLE_NAME)] == [transaction_id]
    assert queue_depth(aws.client("sqs"), aws.queue_url) == 1
    assert body_of(submit(key="one-key-for-fifty")) == {"transaction_id": transaction_id, "status": "PENDING"}

    drain(aws)

    assert len(ledger_rows(postgres, [transaction_id])) == 1
    assert [message["transaction_id"] for message in notifications(aws)] == [transaction_id]

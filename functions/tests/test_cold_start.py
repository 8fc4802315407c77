"""What a handler's cold import may do: import what its requests need, build no AWS client, load no tracing SDK.

Each handler is imported in a fresh interpreter, as Lambda does, with botocore's client factory
watched. How long the imports take is a figure of `make bench`, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[1]
HANDLERS = ("process_payment", "verify_payment", "alb_api", "settlement_worker", "migrate_ledger")
# Never on any request path: the X-Ray SDK (end of support 2027-02-25), OpenTelemetry, pydantic (more
# than the whole import budget: the functions' models are msgspec's), and the Powertools utilities whose
# import pulls dozens of modules for a type or a dict lookup.
NEVER = (
    "aws_xray_sdk",
    "opentelemetry",
    "pydantic",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.data_classes",
)
# What a handler's requests never use, so its import must not load it either.
NOT_NEEDED = {
    "process_payment": ("pg8000",),
    "verify_payment": ("pg8000", "aws_lambda_powertools.utilities.idempotency"),
    "alb_api": ("pg8000",),
    # It signs in with an IAM token: no secret, no parameter.
    "settlement_worker": (
        "aws_lambda_powertools.utilities.idempotency",
        "aws_lambda_powertools.utilities.parameters",
        "payments.intake",
    ),
    "migrate_ledger": ("aws_lambda_powertools.utilities.idempotency", "payments.intake"),
}

_PROBE = """
import json, sys
import botocore.session
clients = []
create_client = botocore.session.Session.create_client
def watched(self, *args, **kwargs):
    clients.append(args[0] if args else kwargs.get("service_name"))
    return create_client(self, *args, **kwargs)
botocore.session.Session.create_client = watched
import payments.handlers.{handler}
print(json.dumps({{"clients": clients, "modules": sorted(sys.modules)}}))
"""


def _cold_import(handler: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(handler=handler)],
        capture_output=True,
        text=True,
        check=True,
        cwd=FUNCTIONS,
        env={"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "LAMBDA_TASK_ROOT": str(FUNCTIONS)},
    )
    loaded: dict[str, list[str]] = json.loads(result.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_cold_import_builds_no_client_and_loads_only_what_requests_need(handler: str) -> None:
    loaded = _cold_import(handler)

    assert loaded["clients"] == [], "clients are built on the first request that uses them (payments.aws_clients)"
    unwanted = [
        module
        for module in loaded["modules"]
        for prefix in (*NEVER, *NOT_NEEDED[handler])
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    assert unwanted == []

"""Shared expectations for the networking-layer tests."""

from typing import Any

from tests.support import per_environment

# The per-environment design (docs/design.md), as the networking layer must show it in the plan.
EXPECTED: dict[str, dict[str, Any]] = per_environment("tests/networking/common.py EXPECTED", {
    "dev": {"region": "us-east-1", "cidr": "10.0.0.0/16", "azs": 2, "nats": 0, "log_retention": 30},
    "staging": {"region": "us-east-2", "cidr": "10.1.0.0/16", "azs": 3, "nats": 3, "log_retention": 30},
    "prod": {"region": "eu-west-1", "cidr": "10.2.0.0/16", "azs": 3, "nats": 3, "log_retention": 365},
})  # fmt: skip

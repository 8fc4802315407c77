"""Shared expectations and small readers for the application-layer tests."""

import json
from typing import Any

from tests.support import layer_of, planned, resources

ENVIRONMENTS = ("dev", "staging", "prod")

# The environment table, as the application layer must show it in the plan.
EXPECTED: dict[str, dict[str, Any]] = {
    "dev": {
        "suffix": "d01", "region": "us-east-1", "memory": 512, "api_concurrency": 1, "worker_concurrency": 2,
        "queue_concurrency": 2, "max_receive_count": 2, "log_retention": 30,
        "emails": ["payments-dev@example.com"],
    },
    "staging": {
        "suffix": "s01", "region": "us-east-2", "memory": 1024, "api_concurrency": 10, "worker_concurrency": 5,
        "queue_concurrency": 5, "max_receive_count": 3, "log_retention": 30,
        "emails": ["payments-staging@example.com"],
    },
    "prod": {
        "suffix": "p01", "region": "eu-west-1", "memory": 2048, "api_concurrency": 100, "worker_concurrency": 20,
        "queue_concurrency": 20, "max_receive_count": 5, "log_retention": 365,
        "emails": ["payments-oncall@example.com"],
    },
}  # fmt: skip
FUNCTIONS = ("process-payment", "verify-payment", "settlement-worker", "migrate-ledger")
HANDLERS = {
    "process-payment": "payments.handlers.process_payment.handler",
    "verify-payment": "payments.handlers.verify_payment.handler",
    "settlement-worker": "payments.handlers.settlement_worker.handler",
    "migrate-ledger": "payments.handlers.migrate_ledger.handler",
}
TYPES = {
    "function": "aws:lambda/function:Function",
    "log_group": "aws:cloudwatch/logGroup:LogGroup",
    "role": "aws:iam/role:Role",
    "role_policy": "aws:iam/rolePolicy:RolePolicy",
    "mapping": "aws:lambda/eventSourceMapping:EventSourceMapping",
    "invocation": "aws:lambda/invocation:Invocation",
    "queue": "aws:sqs/queue:Queue",
    "redrive_allow": "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    "topic": "aws:sns/topic:Topic",
    "topic_policy": "aws:sns/topicPolicy:TopicPolicy",
    "subscription": "aws:sns/topicSubscription:TopicSubscription",
}


def application_layer(env: str) -> dict[str, Any]:
    return layer_of(planned(env), "application")


def upstream_outputs(env: str, layer: str) -> dict[str, Any]:
    return layer_of(planned(env), layer)["outputs"]


def by_name(layer: Any, kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one type keyed by their logical name (the last URN segment)."""
    return {r["urn"].split("::")[-1]: r for r in resources(layer, TYPES[kind])}


def named(layer: Any, kind: str, logical: str) -> dict[str, Any]:
    found = by_name(layer, kind)
    assert logical in found, f"no {kind} {logical!r}; have {sorted(found)}"
    return found[logical]


def function(layer: Any, name: str) -> dict[str, Any]:
    return named(layer, "function", f"{name}-function")


def role_policy(layer: Any, name: str) -> dict[str, Any]:
    document = json.loads(named(layer, "role_policy", f"{name}-role-policy")["inputs"]["policy"])
    assert document["Version"] == "2012-10-17"
    return document

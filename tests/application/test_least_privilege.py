"""Least privilege, proven: every role grants exactly what its handler is recorded calling, in every
environment's plan.

Once per session, each real handler runs a small representative scenario in-process on moto and
the real PostgreSQL, against the dev plan's resources (`plan_world`), while a botocore hook
(`testkit.aws_actions`) records every AWS call its clients make: the happy paths and the error
paths that reach AWS differently (a replay, a reused key, an enqueue failure and its retry, an
unknown transaction, a message that ends in the DLQ). The calls become accesses named by the
function variables that named their resources (`least_privilege.accesses`), which every
environment's plan resolves to its own ARNs; `least_privilege.check` then requires each role to
grant exactly those actions on exactly those resources, plus the commented allow-lists in
`application/permissions.py` (Lambda's own use of the role, KMS implied by encryption, actions
without resource-level permissions). A missing grant and an unused grant both fail, as the tests
on altered copies of a plan show.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from payments.handlers import process_payment
from payments.queue import EnqueueError
from shared.environments import ENVIRONMENTS
from shared.functions import FUNCTIONS
from testkit.aws_actions import AwsCall, iam_action, recording_aws_calls
from testkit.aws_support import reset_moto
from testkit.pg_server import PostgresServer
from tests.application.least_privilege import EVENT_SOURCE, Access, accesses, check, granted
from tests.application.plan_world import ALB_MERCHANT_KEY, PlanWorld, all_resources, build_world, logical_name
from tests.support import layer_of, planned

pytestmark = pytest.mark.postgres

BODY = {"amount_minor": 4200, "currency": "USD", "payment_method_token": "pm_tok_abcdefgh"}


Pay = Callable[[str, dict[str, Any]], int]
"""(Idempotency-Key, body) -> HTTP status, through one front door."""


def _through_api_gateway(world: PlanWorld) -> Pay:
    def pay(key: str, body: dict[str, Any]) -> int:
        return world.call_api(
            "POST",
            "/process-payment",
            api_key_id=sorted(world.api_key_ids().values())[0],
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        ).status

    return pay


def _through_the_alb(world: PlanWorld) -> Pay:
    def pay(key: str, body: dict[str, Any]) -> int:
        return world.call_alb(
            "POST",
            "/api/process-payment",
            api_key=ALB_MERCHANT_KEY,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        ).status

    return pay


def _payments(pay: Pay, order: str) -> None:
    """Every path of process-payment that reaches AWS differently, whichever door it comes through."""
    assert pay(f"{order}-a", BODY) == 202  # accepted and enqueued
    assert pay(f"{order}-a", BODY) == 202  # a replay: the first answer
    assert pay(f"{order}-a", {**BODY, "amount_minor": 1}) == 422  # the key, another body
    with pytest.MonkeyPatch.context() as patch:

        def queue_down(*_: Any) -> str:
            raise EnqueueError("the payment queue is unavailable")

        patch.setattr(process_payment, "enqueue_settlement", queue_down)
        assert pay(f"{order}-b", BODY) == 503  # marked FAILED, key released
    assert pay(f"{order}-b", BODY) == 202  # the retry reopens and enqueues


def _scenarios(world: PlanWorld) -> dict[str, list[AwsCall]]:
    calls: dict[str, list[AwsCall]] = {}

    with world.running_as("migrate-ledger"), recording_aws_calls() as recorder:
        world.invoke("migrate-ledger", {})
    calls["migrate-ledger"] = recorder.calls

    with recording_aws_calls() as recorder:
        _payments(_through_api_gateway(world), "order-0001")
    calls["process-payment"] = recorder.calls
    transaction_ids = [item["transaction_id"]["S"] for item in _items(world, "TRANSACTIONS_TABLE_NAME")]

    with recording_aws_calls() as recorder:
        key_id = sorted(world.api_key_ids().values())[0]
        for transaction_id in [*transaction_ids, str(uuid.uuid4())]:  # found, and unknown (404)
            world.call_api("GET", "/verify-payment", api_key_id=key_id, query={"transaction_id": transaction_id})
    calls["verify-payment"] = recorder.calls

    with recording_aws_calls() as recorder:  # the ALB door: the same handlers, x-api-key checked by the function
        _payments(_through_the_alb(world), "order-0002")
        for transaction_id in [*transaction_ids, str(uuid.uuid4())]:
            world.call_alb(
                "GET", "/api/verify-payment", api_key=ALB_MERCHANT_KEY, query={"transaction_id": transaction_id}
            )
    calls["alb-api"] = recorder.calls

    world.clients["sqs"].send_message(  # a message that keeps failing: an unknown transaction
        QueueUrl=world.queue_url, MessageBody=json.dumps({"transaction_id": str(uuid.uuid4())})
    )
    with world.running_as("settlement-worker"), recording_aws_calls() as recorder:
        mapping = boto3.client("sqs", region_name=world.region)  # the event source mapping, as the worker's role
        for _ in range(world.max_receive_count() + 2):
            _, failed = world.deliver(mapping)
            world.let_visibility_timeout_pass(failed)
    calls["settlement-worker"] = recorder.calls
    assert world.clients["sqs"].receive_message(QueueUrl=world.dlq_url).get("Messages"), "the failing one is dead"
    return calls


def _items(world: PlanWorld, variable: str) -> list[dict[str, Any]]:
    table = world.variables["process-payment"][variable]
    return list(world.clients["dynamodb"].scan(TableName=table)["Items"])


@pytest.fixture(scope="module")
def recorded(moto_endpoint: str, postgres: PostgresServer) -> Iterator[dict[str, set[Access]]]:
    """function -> what its handler was recorded reaching, by the variables that named it."""
    reset_moto(moto_endpoint)
    world = build_world(planned("dev"), postgres)
    calls = _scenarios(world)
    unexercised = [function.name for function in FUNCTIONS if function.name not in calls]
    assert not unexercised, f"no scenario records what {unexercised} call: add one to _scenarios"
    yield {
        function.name: accesses(calls[function.name], world.variables[function.name], event_source=world.queue_url)
        for function in FUNCTIONS
    }


def test_the_scenarios_record_what_each_handler_calls(recorded: dict[str, set[Access]]):
    """The record itself, for the reader (and a tripwire for a handler that starts calling something new)."""
    actions = {function: {(a.action, a.source) for a in found} for function, found in recorded.items()}
    assert actions["migrate-ledger"] == {("secretsmanager:GetSecretValue", "DB_OWNER_SECRET_ARN")}
    # Who is calling: the merchants table, GetItem only; the key of the keyed hashes, one parameter.
    merchants = {("dynamodb:GetItem", "MERCHANTS_TABLE_NAME")}
    assert actions["process-payment"] == merchants | {
        ("ssm:GetParameter", "KEY_HASH_PARAMETER_NAME"),
        ("dynamodb:PutItem", "IDEMPOTENCY_TABLE_NAME"),
        ("dynamodb:UpdateItem", "IDEMPOTENCY_TABLE_NAME"),
        ("dynamodb:DeleteItem", "IDEMPOTENCY_TABLE_NAME"),
        ("dynamodb:PutItem", "TRANSACTIONS_TABLE_NAME"),
        ("dynamodb:UpdateItem", "TRANSACTIONS_TABLE_NAME"),
        ("sqs:SendMessage", "PAYMENT_QUEUE_URL"),
    }
    assert actions["verify-payment"] == merchants | {("dynamodb:GetItem", "TRANSACTIONS_TABLE_NAME")}
    # One code path, two front doors: the ALB's function does what both API functions do; it checks x-api-key
    # with the same parameter and table.
    assert actions["alb-api"] == actions["process-payment"] | actions["verify-payment"]
    assert actions["settlement-worker"] == {
        ("sqs:ReceiveMessage", EVENT_SOURCE),
        ("sqs:GetQueueAttributes", EVENT_SOURCE),
        ("sqs:DeleteMessage", EVENT_SOURCE),
        ("rds-db:connect", "DB_PROXY_ENDPOINT"),
        ("dynamodb:UpdateItem", "TRANSACTIONS_TABLE_NAME"),
        ("s3:PutObject", "AUDIT_BUCKET_NAME"),
        ("sns:Publish", "NOTIFICATION_TOPIC_ARN"),
    }
    # IAM database authentication: the worker signs in as the ledger writer, and as nobody else.
    sign_ins = {a.path for a in recorded["settlement-worker"] if a.action == "rds-db:connect"}
    assert sign_ins == {"payments_ledger_writer"}
    audit = [a for a in recorded["settlement-worker"] if a.action == "s3:PutObject"]
    assert audit and all(
        (a.path or "").startswith("settlements/") and a.key_source == "AUDIT_KMS_KEY_ARN" for a in audit
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_role_grants_exactly_what_its_handler_calls(env: str, recorded: dict[str, set[Access]]):
    findings = check(planned(env), recorded)
    assert findings == {}, "\n".join(
        f"{function}: missing {found.missing}; unused {found.unused}" for function, found in findings.items()
    )


def _with_policy(plan: dict[str, Any], function: str, edit: Any) -> dict[str, Any]:
    """A copy of the plan whose role policy of `function` went through `edit(statements)`."""
    altered = copy.deepcopy(plan)
    (policy,) = [
        r
        for r in all_resources(altered)
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and logical_name(r) == f"{function}-role-policy"
    ]
    document = json.loads(policy["inputs"]["policy"])
    edit(document["Statement"])
    policy["inputs"]["policy"] = json.dumps(document)
    return altered


def _statement(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    (found,) = [s for s in statements if s["Sid"] == sid]
    return found


def test_a_dropped_grant_fails_the_check(recorded: dict[str, set[Access]]):
    plan = planned("prod")
    topic = layer_of(plan, "application")["outputs"]["notificationTopicArn"]
    altered = _with_policy(plan, "settlement-worker", lambda s: s.remove(_statement(s, "PublishSettlements")))
    findings = check(altered, recorded)
    assert set(findings) == {"settlement-worker"}
    assert findings["settlement-worker"].missing == [("sns:Publish", topic)]
    assert findings["settlement-worker"].unused == []


def test_an_unused_grant_fails_the_check(recorded: dict[str, set[Access]]):
    plan = planned("staging")
    table = layer_of(plan, "data")["outputs"]["transactionsTableArn"]
    altered = _with_policy(
        plan, "verify-payment", lambda s: _statement(s, "ReadTransactions")["Action"].append("dynamodb:DeleteItem")
    )
    findings = check(altered, recorded)
    assert set(findings) == {"verify-payment"}
    assert (findings["verify-payment"].missing, findings["verify-payment"].unused) == (
        [],
        [("dynamodb:DeleteItem", table)],
    )


def test_a_grant_on_another_resource_is_both_missing_and_unused(recorded: dict[str, set[Access]]):
    plan = planned("dev")
    outputs = layer_of(plan, "application")["outputs"]
    altered = _with_policy(
        plan, "process-payment", lambda s: _statement(s, "EnqueuePayments").update(Resource=[outputs["paymentDlqArn"]])
    )
    found = check(altered, recorded)["process-payment"]
    assert found.missing == [("sqs:SendMessage", outputs["paymentQueueArn"])]
    assert found.unused == [("sqs:SendMessage", outputs["paymentDlqArn"])]


def test_a_call_no_variable_names_cannot_be_attributed():
    call = AwsCall(action="dynamodb:GetItem", operation="GetItem", resource="someone-elses-table")
    with pytest.raises(AssertionError, match="none of the function's variables"):
        accesses([call], {"TRANSACTIONS_TABLE_NAME": "transactions-dev-d01"})


def test_iam_actions_of_batch_operations():
    assert iam_action("sns", "PublishBatch") == "sns:Publish"
    assert iam_action("sqs", "DeleteMessageBatch") == "sqs:DeleteMessage"
    assert iam_action("dynamodb", "UpdateItem") == "dynamodb:UpdateItem"
    with pytest.raises(AssertionError, match="several IAM actions"):
        iam_action("dynamodb", "TransactWriteItems")


def test_the_resourceless_statements_are_the_only_wildcards():
    for function in (spec.name for spec in FUNCTIONS):
        wildcards = {action for action, resource in granted(planned("prod"), function) if resource == "*"}
        assert wildcards and all(action.split(":")[0] in {"ec2", "xray"} for action in wildcards)

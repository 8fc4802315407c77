"""The merchants table's content, written by the deploy: what each function's environment no longer carries.

With 200 merchants (the 4 KB Lambda limit broke past about 120 when the key-id mapping was an
environment variable) every function's environment is byte for byte the one it has with the
repository's merchants, and every AWS limit holds; `make bench` plans a thousand.
"""

import hashlib
import hmac
import json
import re
from functools import cache
from typing import Any

import pytest

from application.merchant_directory import digest_shards
from payments.storage_schema import DIGEST_SHARDS
from shared.environments import ENVIRONMENTS
from tests.application.common import function
from tests.support import layer_of, planned, resources
from tooling.checks.limits.check import check_plan
from tooling.plan.engine import plan_environment

TABLE_ITEM = "aws:dynamodb/tableItem:TableItem"
MANY = 200
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def merchants(count: int) -> list[str]:
    return [f"merchant-{number:04d}" for number in range(1, count + 1)]


@cache
def many_merchants_plan() -> dict[str, Any]:
    return plan_environment("dev", overrides={"application:merchants": json.dumps(merchants(MANY))})


def _application(plan: dict[str, Any]) -> dict[str, Any]:
    return layer_of(plan, "application")


def test_each_digest_is_filed_in_its_shard_under_its_key_id_and_no_key_value_is_written():
    key, values, ids = "k" * 64, ["first-merchant-key-value-000001", "second-merchant-key-value-00002"], ["a1", "b2"]
    shards = [json.loads(item) for item in digest_shards(key, values, ids)]

    assert [shard["lookup"]["S"] for shard in shards] == [f"api-key-digests/{s}" for s in DIGEST_SHARDS]
    filed = {digest: key_id for shard in shards for digest, key_id in json.loads(shard["value"]["S"]).items()}
    for value, key_id in zip(values, ids, strict=True):
        message = json.dumps(["api-key", value], separators=(",", ":")).encode()
        digest = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()  # written out independently
        assert filed[digest] == key_id
        (shard,) = [s for s in shards if digest in s["value"]["S"]]
        assert shard["lookup"]["S"] == f"api-key-digests/{digest[0]}"
    assert not any(value in json.dumps(shards) for value in values)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_entry_per_merchant_and_sixteen_secret_shards_whose_ids_hold_no_digest(env):
    application = _application(planned(env))
    items = resources(application, TABLE_ITEM)
    merchant_ids = application["outputs"]["apiKeyIds"]
    entries = [i for i in items if i["inputs"]["item"] != "[secret]"]
    shards = [i for i in items if i["inputs"]["item"] == "[secret]"]
    assert len(entries) == len(merchant_ids) and len(shards) == len(DIGEST_SHARDS)
    table = layer_of(planned(env), "data")["outputs"]["merchantsTableName"]
    assert {i["inputs"]["tableName"] for i in items} == {table}
    # pulumi-aws makes an item's id of its key, and ids are plain text in state: no digest is a key
    assert sorted(i["id"] for i in shards) == [f"{table}|lookup|api-key-digests/{s}" for s in DIGEST_SHARDS]
    assert {i["id"] for i in entries} == {f"{table}|lookup|api-key/{key_id}" for key_id in merchant_ids.values()}
    assert all(i["outputs"]["item"] == "[secret]" for i in shards)
    assert not any(HEX_DIGEST.search(i["id"] + i["urn"]) for i in items)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_key_joins_the_usage_plan_only_after_its_merchant_entry_exists(env):
    """Else a request with a new key could find no merchant, and that answer would be kept for the max age."""
    application = _application(planned(env))
    entry_of = {
        json.loads(i["inputs"]["item"])["lookup"]["S"].removeprefix("api-key/"): i["urn"]
        for i in resources(application, TABLE_ITEM)
        if i["inputs"]["item"] != "[secret]"
    }
    plan_keys = resources(application, "aws:apigateway/usagePlanKey:UsagePlanKey")
    assert plan_keys
    for plan_key in plan_keys:
        assert entry_of[plan_key["inputs"]["keyId"]] in plan_key["dependencies"]


def test_no_function_environment_grows_with_the_merchants():
    few, many = _application(planned("dev")), _application(many_merchants_plan())
    assert len(many["outputs"]["apiKeyIds"]) == MANY > len(few["outputs"]["apiKeyIds"])
    for name in ("process-payment", "verify-payment", "alb-api", "settlement-worker", "migrate-ledger"):
        assert function(many, name)["inputs"]["environment"] == function(few, name)["inputs"]["environment"], name


def test_two_hundred_merchants_stay_within_every_aws_limit():
    result = check_plan("dev", many_merchants_plan())
    assert [str(finding) for finding in result.findings] == []
    largest = result.largest("lambda-environment-variables")
    assert largest is not None and largest.value is not None and largest.value < 1024

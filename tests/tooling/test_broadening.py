"""The permission-broadening report over offline plans: each kind of broadening injected into a copy of
staging's plan is flagged with its reason; an unchanged plan, and staging vs prod, broaden nothing."""

import copy
import json
from typing import Any

from tests.support import planned
from tooling.checks.broadening import BroadeningReport, Snapshot, compare_snapshots


def _report(after: dict[str, Any], env: str = "staging") -> BroadeningReport:
    before = Snapshot("staging", "staging:plan", planned("staging")["layers"])
    return compare_snapshots(before, Snapshot(env, f"{env}:changed", after["layers"]))


def _resource(plan: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for layer in plan["layers"] for r in layer["resources"] if r["urn"].endswith(f"::{name}")]
    return found


def _edit_policy(plan: dict[str, Any], name: str, key: str, edit: Any) -> None:
    resource = _resource(plan, name)
    document = json.loads(resource["inputs"][key])
    edit(document["Statement"])
    resource["inputs"][key] = json.dumps(document)


def _changed() -> dict[str, Any]:
    return copy.deepcopy(planned("staging"))


def test_an_unchanged_plan_broadens_nothing() -> None:
    report = _report(planned("staging"))
    assert report.items == () and report.exit_code == 0 and report.summary.grants_left > 100


def test_staging_to_prod_broadens_nothing() -> None:
    assert _report(planned("prod"), env="prod").items == ()


def test_an_added_action_is_flagged() -> None:
    plan = _changed()
    _edit_policy(plan, "flow-logs-role-policy", "policy", lambda s: s[0]["Action"].append("logs:DeleteLogGroup"))

    (item,) = _report(plan).items
    assert item.category == "iam_policy" and "logs:DeleteLogGroup" in item.grant
    assert item.reasons == ("new action",)
    assert _report(plan).exit_code == 7


def test_a_wildcard_is_flagged() -> None:
    plan = _changed()
    _edit_policy(plan, "flow-logs-role-policy", "policy", lambda s: s[0].update(Resource="*"))

    reasons = {r for item in _report(plan).items for r in item.reasons}
    assert {"new resource", "wildcard"} <= reasons


def test_a_new_principal_is_flagged() -> None:
    plan = _changed()

    def trust_another_service(statements: list[dict[str, Any]]) -> None:
        statements.append({**statements[0], "Principal": {"Service": "ec2.amazonaws.com"}})

    _edit_policy(plan, "flow-logs-role", "assumeRolePolicy", trust_another_service)

    (item,) = _report(plan).items
    assert item.category == "trust_policy" and item.reasons == ("new principal",)
    assert "Service:ec2.amazonaws.com" in item.grant


def test_a_widened_cidr_is_flagged() -> None:
    plan = _changed()
    rule = _resource(plan, "security-groups-web-from-alb")
    rule["inputs"] |= {"referencedSecurityGroupId": None, "cidrIpv4": "10.0.0.0/8"}
    narrow = _report(plan).items
    rule["inputs"]["cidrIpv4"] = "0.0.0.0/0"

    (item,) = _report(plan).items
    assert narrow and item.category == "ingress" and "from 0.0.0.0/0" in item.grant
    assert "open to the internet" in item.reasons and "wildcard" in item.reasons


def test_a_removed_deny_is_flagged() -> None:
    plan = _changed()
    bucket_policies = [
        r["urn"].rsplit("::", 1)[1]
        for layer in plan["layers"]
        for r in layer["resources"]
        if r["type"] == "aws:s3/bucketPolicy:BucketPolicy"
    ]
    _edit_policy(plan, bucket_policies[0], "policy", lambda s: s.pop(0))

    assert "removed deny" in {r for item in _report(plan).items for r in item.reasons}

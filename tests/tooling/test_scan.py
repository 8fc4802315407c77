"""`make scan`: the plans converted to Terraform-plan JSON, scanned by checkov and linted by parliament.

checkov runs once per session on the three plans (in parallel, cached by content under build/scan) and
once on a copy of the prod plan with known violations injected, so a converter gap cannot hide findings.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS
from tests.support import planned
from tooling.checks.scan.findings import Finding, Waiver, judge, load_waivers, stale
from tooling.checks.scan.scan import EnvironmentScan, scan_plans
from tooling.checks.scan.tfplan import convert, singular
from tooling.checks.scan.tftypes import UnmappedType, known_terraform_types, terraform_type


@pytest.fixture(scope="session")
def scans() -> dict[str, EnvironmentScan]:
    return scan_plans({env: planned(env) for env in ENVIRONMENTS})


def _prod_resource(plan: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(r for layer in plan["layers"] for r in layer["resources"] if r["urn"].endswith(suffix))


def _record(plan: dict[str, Any], layer: str, token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    stack = next(x for x in plan["layers"] if x["name"] == layer)
    record = {
        "urn": f"urn:pulumi:prod::payments-{layer}::{token}::{name}",
        "id": f"{name}-id",
        "type": token,
        "custom": True,
        "parent": None,
        "provider": None,
        "dependencies": [],
        "inputs": inputs,
        "outputs": {},
        "protect": False,
        "ignoreChanges": [],
        "retainOnDelete": False,
        "additionalSecretOutputs": [],
    }
    stack["resources"].append(record)
    return record


@pytest.fixture(scope="session")
def injected(tmp_path_factory: pytest.TempPathFactory) -> EnvironmentScan:
    """The prod plan with an unencrypted public bucket, SSH open to the world, a function without tracing
    and an IAM policy with a misspelt action on "*"."""
    plan = copy.deepcopy(planned("prod"))
    _record(plan, "data", "aws:s3/bucket:Bucket", "injected-bucket", {"bucket": "injected-plain-bucket"})
    web_sg = _prod_resource(plan, "::security-groups-web")
    _record(
        plan,
        "networking",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "injected-ssh-from-anywhere",
        {
            "securityGroupId": web_sg["id"],
            "cidrIpv4": "0.0.0.0/0",
            "fromPort": 22.0,
            "toPort": 22.0,
            "ipProtocol": "tcp",
        },
    )
    function = _prod_resource(plan, "::process-payment-function")
    assert function["inputs"].pop("tracingConfig")["mode"] == "Active"
    function["outputs"].pop("tracingConfig", None)
    _record(
        plan,
        "application",
        "aws:iam/rolePolicy:RolePolicy",
        "injected-policy",
        {
            "role": "process-payment-role-prod-p01",
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItme", "Resource": "*"}],
                }
            ),
        },
    )
    return scan_plans({"prod": plan}, directory=tmp_path_factory.mktemp("injected"))["prod"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_has_no_unwaived_finding(scans, env):
    scan = scans[env]
    passed, _ = scan.checkov_counts
    assert passed > 300  # checkov really looked at the resources
    assert scan.policy_documents > 20
    assert [f"{f.scanner} {f.check} {f.resource}" for f in scan.verdict.open] == []


def test_every_waiver_waives_something(scans):
    assert [w.describe() for w in stale(load_waivers(), [s.verdict for s in scans.values()])] == []


def test_every_waiver_has_a_reason():
    for waiver in load_waivers():
        assert len(waiver.reason) > 20, waiver.describe()


@pytest.mark.parametrize(
    ("check", "resource"),
    [
        ("CKV2_AWS_6", "aws_s3_bucket.injected_bucket"),  # no public access block
        ("CKV_AWS_145", "aws_s3_bucket.injected_bucket"),  # not KMS-encrypted
        ("CKV_AWS_21", "aws_s3_bucket.injected_bucket"),  # no versioning
        ("CKV_AWS_24", "aws_vpc_security_group_ingress_rule.injected_ssh_from_anywhere"),  # 22 from 0.0.0.0/0
        ("CKV_AWS_50", "aws_lambda_function.process_payment_function"),  # no X-Ray tracing
        ("UNKNOWN_ACTION", "aws_iam_role_policy.injected_policy.policy"),  # parliament: dynamodb:PutItme
    ],
)
def test_injected_violations_are_caught_and_not_waived(injected, check, resource):
    assert (check, resource) in {(f.check, f.resource) for f in injected.verdict.open}


def test_the_untouched_resources_of_the_injected_plan_stay_clean(injected):
    injected_names = ("injected", "process_payment_function")
    assert [f for f in injected.verdict.open if not any(n in f.resource for n in injected_names)] == []


def test_types_come_from_the_bridge_rule_or_its_exceptions():
    assert terraform_type("aws:rds/instance:Instance").tf_type == "aws_db_instance"
    assert terraform_type("aws:ec2/vpc:Vpc").tf_type == "aws_vpc"
    assert terraform_type("aws:apigateway/restApi:RestApi").tf_type == "aws_api_gateway_rest_api"
    assert terraform_type("aws:lb/loadBalancer:LoadBalancer").how == "exception"
    assert terraform_type("aws:apigateway/response:Response").tf_type == "aws_api_gateway_gateway_response"
    with pytest.raises(UnmappedType, match="no known Terraform type"):
        terraform_type("aws:madeup/thing:Thing")


def test_every_planned_aws_type_is_mapped_to_a_listed_terraform_type():
    listed = known_terraform_types()
    for env in ENVIRONMENTS:
        tokens = {r["type"] for layer in planned(env)["layers"] for r in layer["resources"] if r["custom"]}
        for token in sorted(t for t in tokens if t.startswith("aws:")):
            assert terraform_type(token).tf_type in listed


def test_an_unmapped_type_fails_the_conversion():
    plan = copy.deepcopy(planned("dev"))
    _record(plan, "data", "aws:madeup/thing:Thing", "odd", {})
    with pytest.raises(ValueError, match="aws:madeup/thing:Thing"):
        convert("dev", plan)


def _resource(scan: EnvironmentScan, address: str) -> dict[str, Any]:
    plan = scan.conversion.plan
    return next(r for r in plan["planned_values"]["root_module"]["resources"] if r["address"] == address)


def _expressions(scan: EnvironmentScan, address: str) -> dict[str, Any]:
    plan = scan.conversion.plan
    return next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == address)["expressions"]


def test_terraform_names_and_shapes(scans):
    prod = scans["prod"]
    encryption = _resource(prod, "aws_s3_bucket_server_side_encryption_configuration.audit_encryption")["values"]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    groups = [
        r
        for r in prod.conversion.plan["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_autoscaling_group"
    ]
    assert all(len(g["values"]["vpc_zone_identifier"]) == 3 and g["values"]["tag"] for g in groups)
    listener = next(
        r for r in prod.conversion.plan["planned_values"]["root_module"]["resources"] if r["type"] == "aws_lb_listener"
    )
    assert "default_action" in listener["values"]
    database = _resource(prod, "aws_db_instance.database_instance")["values"]
    assert database["backup_retention_period"] == 7  # an integer, as Terraform has it
    assert database["storage_encrypted"] is True


def test_references_connect_resources_across_layers(scans):
    prod = scans["prod"]
    block = _expressions(prod, "aws_s3_bucket_public_access_block.audit_public_access")
    assert block["bucket"]["references"] == ["aws_s3_bucket.audit_bucket.id", "aws_s3_bucket.audit_bucket"]
    database = _expressions(prod, "aws_db_instance.database_instance")  # data layer -> networking layer
    assert "aws_security_group.security_groups_database" in database["vpc_security_group_ids"]["references"]


def test_singular_terraform_names():
    assert [singular(n) for n in ("rules", "global_secondary_indexes", "metric_queries", "aliases")] == [
        "rule",
        "global_secondary_index",
        "metric_query",
        "alias",
    ]


def test_a_waiver_matches_by_id_resource_environment_and_detail():
    finding = Finding("parliament", "RESOURCE_STAR", "", "dev", "aws_kms_key.k.policy", "kms:Decrypt")
    waiver = Waiver("parliament", "RESOURCE_STAR", ("aws_kms_key.*.policy",), "a reason", environments=("dev",))
    assert judge([finding], [waiver]).waived
    other_env = Waiver("parliament", "RESOURCE_STAR", ("aws_kms_key.*.policy",), "a reason", environments=("prod",))
    assert judge([finding], [other_env]).open
    wrong_detail = Waiver("parliament", "RESOURCE_STAR", ("aws_kms_key.*",), "a reason", detail_contains="iam:")
    assert judge([finding], [wrong_detail]).open


def test_the_converted_plans_are_written_under_build(scans):
    assert Path("build/scan/prod.tfplan.json").exists()

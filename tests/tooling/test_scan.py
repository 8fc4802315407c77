"""`make scan`: the plans converted to Terraform-plan JSON, scanned by checkov and linted by parliament.

checkov runs once per session on the three plans (in parallel, cached by content under build/scan) and
once on a copy of the prod plan with known violations injected, so a converter gap cannot hide findings.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from shared.environments import ENVIRONMENTS
from tests.support import planned
from tooling.checks.scan import terraform_names
from tooling.checks.scan.checkov_run import evaluated
from tooling.checks.scan.findings import Finding, Waiver, judge, load_waivers, stale
from tooling.checks.scan.scan import EnvironmentScan, scan_plans
from tooling.checks.scan.scan import report as print_report
from tooling.checks.scan.terraform_names import BLOCK_LISTS, RENAMED
from tooling.checks.scan.tfplan import ConversionError, convert, terraform_values
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
    """The prod plan with one violation in each kind of block checkov reads (and an IAM policy with a
    misspelt action on "*"): what a converter gap would hide."""
    plan = copy.deepcopy(planned("prod"))
    # an unencrypted public bucket, and a bucket policy letting anyone read it
    _record(plan, "data", "aws:s3/bucket:Bucket", "injected-bucket", {"bucket": "injected-plain-bucket"})
    anyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::injected/*"}
    _record(
        plan,
        "data",
        "aws:s3/bucketPolicy:BucketPolicy",
        "injected-public-policy",
        {"bucket": "injected-plain-bucket", "policy": json.dumps({"Version": "2012-10-17", "Statement": [anyone]})},
    )
    # a NACL rule letting SSH in from anywhere, ahead of everything else
    acl = _prod_resource(plan, "::network-acls-public")
    acl["inputs"]["ingress"].insert(
        0,
        {"ruleNo": 1.0, "action": "allow", "protocol": "6", "cidrBlock": "0.0.0.0/0", "fromPort": 22.0, "toPort": 22.0},
    )
    # a security-group rule letting SSH in from anywhere
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
    # the plain-HTTP listener forwarding instead of redirecting
    http = _prod_resource(plan, "::listeners-http")
    api = _prod_resource(plan, "::alb-api-target")
    http["inputs"]["defaultActions"] = [{"type": "forward", "targetGroupArn": api["outputs"]["arn"]}]
    # a launch template without IMDSv2
    template = _prod_resource(plan, "aws:ec2/launchTemplate:LaunchTemplate::web-blue")
    template["inputs"]["metadataOptions"] = {"httpEndpoint": "enabled", "httpTokens": "optional"}
    # a function without tracing
    function = _prod_resource(plan, "::process-payment-function")
    assert function["inputs"].pop("tracingConfig")["mode"] == "Active"
    function["outputs"].pop("tracingConfig", None)
    # an API stage without access logging
    stage = _prod_resource(plan, "aws:apigateway/stage:Stage::api-stage")
    assert stage["inputs"].pop("accessLogSettings")
    stage["outputs"].pop("accessLogSettings", None)
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


# One violation per kind of block checkov's checks read, the check that must name it, and where.
INJECTED = [
    ("CKV_AWS_232", "aws_network_acl.network_acls_public"),  # NACL: 22 from 0.0.0.0/0
    ("CKV_AWS_24", "aws_vpc_security_group_ingress_rule.injected_ssh_from_anywhere"),  # security-group rule
    ("CKV_AWS_70", "aws_s3_bucket_policy.injected_public_policy"),  # bucket policy: any principal
    ("CKV_AWS_2", "aws_lb_listener.listeners_http"),  # an HTTP listener that forwards
    ("CKV2_AWS_20", "aws_lb.alb_lb"),  # ... so the ALB no longer redirects HTTP to HTTPS
    ("CKV_AWS_79", "aws_launch_template.web_blue"),  # no IMDSv2
    ("CKV_AWS_50", "aws_lambda_function.process_payment_function"),  # no X-Ray tracing
    ("CKV_AWS_76", "aws_api_gateway_stage.api_stage"),  # no access logging
    ("CKV2_AWS_6", "aws_s3_bucket.injected_bucket"),  # no public access block
    ("CKV_AWS_145", "aws_s3_bucket.injected_bucket"),  # not KMS-encrypted
    ("CKV_AWS_21", "aws_s3_bucket.injected_bucket"),  # no versioning
    ("UNKNOWN_ACTION", "aws_iam_role_policy.injected_policy.policy"),  # parliament: dynamodb:PutItme
]


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


@pytest.mark.parametrize(("check", "resource"), INJECTED, ids=[f"{c} {r}" for c, r in INJECTED])
def test_each_injected_violation_fails_make_scan_with_the_check_named(injected, check, resource):
    assert (check, resource) in {(f.check, f.resource) for f in injected.verdict.open}
    console = Console(record=True, width=250)
    assert print_report(injected, console) == 1  # make scan exits 1
    text = console.export_text()
    assert check in text and resource.split(".")[1] in text


def test_the_untouched_resources_of_the_injected_plan_stay_clean(injected):
    touched = {resource for _, resource in INJECTED}
    assert [f for f in injected.verdict.open if f.resource not in touched] == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("acl", ["aws_network_acl.network_acls_public", "aws_network_acl.network_acls_private"])
def test_checkov_evaluates_every_acl_rule_check_on_each_acl(scans, env, acl):
    """CKV_AWS_229 to 232 (ports 21, 20, 3389, 22 from anywhere) read the ACL's ingress rules."""
    decided = evaluated(scans[env].checkov_report)
    for check in ("CKV_AWS_229", "CKV_AWS_230", "CKV_AWS_231", "CKV_AWS_232"):
        assert (check, acl) in decided, check


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_check_misses_an_attribute_the_resource_has_under_another_name(scans, env):
    """checkov is the judge of Terraform's names: a check that looked for an attribute and found none, on
    a resource whose Pulumi twin has that property, would mean the converter wrote another name."""
    scan = scans[env]
    records = {address: urn for urn, address in scan.conversion.addresses.items()}
    by_urn = {r["urn"]: r for layer in planned(env)["layers"] for r in layer["resources"]}
    for undecided in scan.undecided:
        record = by_urn[records[undecided.resource]]
        pulumi_names = {_snake(name) for name in {**record["outputs"], **record["inputs"]}}
        assert not set(undecided.missing) & pulumi_names, f"{undecided.check} {undecided.resource} {undecided.missing}"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def test_make_scan_prints_what_checkov_could_not_evaluate(scans, injected):
    console = Console(record=True, width=250)
    print_report(scans["prod"], console)
    text = console.export_text()
    undecided = scans["prod"].undecided
    missing = [u for u in undecided if u.missing]
    assert f"{len(undecided)} not evaluated ({len(missing)} for a missing attribute)" in text
    for u in undecided:
        assert f"not evaluated: {u.check} {u.resource}" in text


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


def _values(scan: EnvironmentScan, tf_type: str, name: str) -> dict[str, Any]:
    return _resource(scan, f"{tf_type}.{name}")["values"]


def test_terraform_names_where_the_bridge_renamed_them(scans):
    prod = scans["prod"]
    acl = _values(prod, "aws_network_acl", "network_acls_public")
    assert {rule["rule_no"] for rule in acl["ingress"]} and acl["egress"]  # not `ingres` / `egres`
    function = _values(prod, "aws_lambda_function", "process_payment_function")
    assert function["function_name"].startswith("process-payment-") and "name" not in function
    permission = _values(prod, "aws_lambda_permission", "alb_api_elb_invoke")
    assert "function_name" in permission and "function" not in permission
    subscription = next(
        r["values"]
        for r in prod.conversion.plan["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_sns_topic_subscription"
    )
    assert subscription["topic_arn"].startswith("arn:aws:sns:") and "topic" not in subscription
    stage = _values(prod, "aws_api_gateway_stage", "api_stage")
    assert "rest_api_id" in stage and "deployment_id" in stage and "rest_api" not in stage
    trail = _values(prod, "aws_cloudtrail", "audit_trail_trail")
    selector = next(s for s in trail["advanced_event_selector"] if s["name"].startswith("Audit bucket"))
    assert any("starts_with" in field for field in selector["field_selector"])
    alarm = next(
        r["values"]
        for r in prod.conversion.plan["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_cloudwatch_metric_alarm"
    )
    assert "alarm_name" in alarm and "name" not in alarm


def test_every_list_of_blocks_in_the_plans_has_its_terraform_name_listed(monkeypatch):
    """A list of blocks missing from terraform_names.BLOCK_LISTS fails the conversion: no guessed name."""
    for env in ENVIRONMENTS:
        convert(env, planned(env))  # would raise on an unlisted list of blocks
    nacl = "aws:ec2/networkAcl:NetworkAcl"
    monkeypatch.setattr(terraform_names, "BLOCK_LISTS", {k: v for k, v in BLOCK_LISTS.items() if k != nacl})
    with pytest.raises(ConversionError, match=r"ingress: a list of blocks not in .*BLOCK_LISTS"):
        terraform_values(_prod_resource(planned("prod"), "::network-acls-public"))
    assert all(name == name.lower() for names in RENAMED.values() for name in names.values())


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

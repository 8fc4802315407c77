"""The type check: every planned input against the installed SDKs' own types (`tooling.checks.types`).

Each kind of mistake the mock runtime lets through is injected into a copy of a real plan and must
be reported, with the path and what was expected; today's plans must have no findings at all.
"""

import copy
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS
from tests.support import planned
from tooling.checks import plan_files as plan_cli
from tooling.checks import types
from tooling.checks.types import check_plan
from tooling.checks.types.check import unchecked_types
from tooling.plan import engine

FUNCTION = "aws:lambda/function:Function"
FUNCTION_NAME = "process-payment-function"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def dev_plan() -> dict[str, Any]:
    return copy.deepcopy(planned("dev"))


def inputs_of(plan: dict[str, Any], name: str, layer: str | None = None) -> dict[str, Any]:
    """The inputs of the one custom resource called `name` (in `layer`, if given)."""
    found = [
        r["inputs"]
        for planned_layer in plan["layers"]
        for r in planned_layer["resources"]
        if r["custom"] and r["urn"].endswith(f"::{name}") and layer in (None, planned_layer["name"])
    ]
    assert len(found) == 1, name
    return found[0]


def with_function(plan: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`plan` with the process-payment function's inputs changed (a value of None removes the key)."""
    inputs = inputs_of(plan, FUNCTION_NAME)
    for key, value in changes.items():
        if value is None:
            inputs.pop(key)
        else:
            inputs[key] = value
    return plan


def found(plan: dict[str, Any], *, blocking: bool = True) -> list[str]:
    return [str(f) for f in check_plan(plan) if f.problem.blocking is blocking]


def function_finding(path_and_message: str) -> str:
    return f"dev / application / {FUNCTION_NAME} {FUNCTION}: {path_and_message}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_todays_plans_have_no_type_findings(env):
    assert [str(f) for f in check_plan(planned(env))] == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_custom_resource_and_provider_of_the_plans_is_checked(env):
    assert unchecked_types(planned(env)) == ["pulumi:pulumi:StackReference"]


def test_an_unknown_nested_key_is_reported_with_the_keys_allowed_there():
    plan = with_function(dev_plan(), tracingConfig={"mod": "Active"})
    assert found(plan) == [
        function_finding('tracingConfig.mod: unknown key (did you mean "mode"?), expected one of: mode'),
        function_finding("tracingConfig.mode: missing required key, expected string"),
    ]


def test_an_unknown_key_inside_a_bucket_lifecycle_rule_is_reported():
    plan = dev_plan()
    rule = inputs_of(plan, "alb-logs-lifecycle")["rules"][0]
    rule["expiraton"] = rule.pop("expiration")
    (finding,) = found(plan)
    assert finding.startswith(
        f"dev / data / alb-logs-lifecycle {LIFECYCLE}: rules[0].expiraton: unknown key "
        '(did you mean "expiration"?), expected one of: abortIncompleteMultipartUpload, expiration, filter, id, '
    )


def test_a_missing_required_argument_is_reported():
    plan = with_function(dev_plan(), role=None)
    assert found(plan) == [function_finding("role: missing required key, expected string")]


def test_a_missing_required_nested_key_is_reported():
    plan = dev_plan()
    del inputs_of(plan, "alb-logs-lifecycle")["rules"][0]["status"]
    inputs_of(plan, "tables-transactions")["serverSideEncryption"] = {"kmsKeyArn": "[unknown]"}
    assert found(plan) == [
        f"dev / data / alb-logs-lifecycle {LIFECYCLE}: rules[0].status: missing required key, expected string",
        "dev / data / tables-transactions aws:dynamodb/table:Table: serverSideEncryption.enabled: "
        "missing required key, expected boolean",
    ]


def test_an_object_where_a_list_of_blocks_is_expected_is_reported():
    plan = dev_plan()
    encryption = inputs_of(plan, "alb-logs-encryption")
    encryption["rules"] = encryption["rules"][0]
    assert found(plan) == [
        "dev / data / alb-logs-encryption "
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration: "
        "rules: got an object, expected list of BucketServerSideEncryptionConfigurationRule object"
    ]


def test_a_list_where_an_object_is_expected_is_reported():
    plan = dev_plan()
    table = inputs_of(plan, "tables-transactions")
    table["pointInTimeRecovery"] = [table["pointInTimeRecovery"]]
    assert found(plan) == [
        "dev / data / tables-transactions aws:dynamodb/table:Table: pointInTimeRecovery: "
        "got a list, expected TablePointInTimeRecovery object"
    ]


def test_a_string_for_a_list_is_reported():
    plan = with_function(dev_plan(), architectures="arm64")
    inputs_of(plan, "database-instance")["vpcSecurityGroupIds"] = "sg-0123"
    assert found(plan) == [
        'dev / data / database-instance aws:rds/instance:Instance: vpcSecurityGroupIds: got string "sg-0123", '
        "expected list of string",
        function_finding('architectures: got string "arm64", expected list of string'),
    ]


def test_a_number_or_a_boolean_written_as_a_string_is_reported():
    plan = dev_plan()
    inputs_of(plan, "database-instance")["port"] = "5432"
    inputs_of(plan, "network-vpc")["enableDnsHostnames"] = "true"
    assert found(plan) == [
        'dev / networking / network-vpc aws:ec2/vpc:Vpc: enableDnsHostnames: got string "true", expected boolean',
        'dev / data / database-instance aws:rds/instance:Instance: port: got string "5432", expected integer',
    ]


def test_an_unknown_top_level_property_is_reported():
    plan = dev_plan()
    inputs_of(plan, "network-vpc")["enableDnsHostname"] = True
    (finding,) = found(plan)
    assert finding.startswith(
        "dev / networking / network-vpc aws:ec2/vpc:Vpc: enableDnsHostname: "
        'unknown key (did you mean "enableDnsHostnames"?), expected one of: assignGeneratedIpv6CidrBlock, cidrBlock, '
    )


def test_a_value_outside_a_closed_sdk_enum_is_reported():
    """`PolicyDocument.Version` is `PolicyDocumentVersion` alone: no other string is accepted."""
    role_policy = "dev / networking / flow-logs-role-policy aws:iam/rolePolicy:RolePolicy"
    plan = dev_plan()
    document = {"Version": "2012-10-18", "Statement": [{"Effect": "Alow", "Action": "s3:*", "Resource": "*"}]}
    inputs_of(plan, "flow-logs-role-policy")["policy"] = document
    assert found(plan) == [
        f'{role_policy}: policy.Version: string "2012-10-18" is not allowed (did you mean "2012-10-17"?), '
        'expected one of "2012-10-17", "2008-10-17"',
        f'{role_policy}: policy.Statement[0].Effect: string "Alow" is not allowed (did you mean "Allow"?), '
        'expected one of "Allow", "Deny"',
    ]


def test_a_value_outside_an_open_sdk_enum_is_a_note_that_does_not_fail():
    """`Union[str, Runtime]`: the SDK takes any string, and its lists can lag the provider's."""
    plan = with_function(dev_plan(), runtime="python3.99")
    assert found(plan) == []
    (note,) = found(plan, blocking=False)
    assert note.startswith(
        function_finding('runtime: string "python3.99" is not a known Runtime value (did you mean "python3.9"?), ')
    )
    assert 'expected a string (known: "dotnet6", "dotnet8",' in note


def test_an_integral_float_is_an_integer_and_a_fraction_is_not():
    plan = with_function(dev_plan(), memorySize=512.0, timeout=10.5)
    assert found(plan) == [function_finding("timeout: got number 10.5, expected integer")]


def test_maps_take_any_key_but_their_values_are_checked():
    plan = with_function(dev_plan())
    function = inputs_of(plan, FUNCTION_NAME)
    function["environment"]["variables"] |= {"any key": "x", "lower.case/with-symbols": "y"}
    function["tags"] |= {"Owner:Team": "payments"}
    assert found(plan) == []
    function["tags"]["Count"] = 3.0
    assert found(plan) == [function_finding('tags["Count"]: got number 3, expected string')]


def test_unknown_and_secret_placeholders_fit_any_type():
    plan = with_function(
        dev_plan(),
        architectures="[unknown]",
        memorySize="[secret]",
        environment={"variables": "[secret]"},
        vpcConfig={"subnetIds": ["[unknown]"], "securityGroupIds": "[unknown]"},
        tracingConfig="[unknown]",
    )
    assert found(plan) == []


def test_provider_inputs_are_checked_as_the_json_they_encode():
    plan = dev_plan()
    provider = inputs_of(plan, "aws", layer="networking")
    assert provider["allowedAccountIds"] == '["123456789012"]'
    provider["allowedAccountIds"] = '"123456789012"'
    provider["skipRegionValidation"] = "yes"
    provider["assumeRoles"] = '[{"roleArn": "arn:aws:iam::123456789012:role/deploy", "sessionNam": "x"}]'
    assert found(plan) == [
        'dev / networking / aws pulumi:providers:aws: allowedAccountIds: got string "123456789012", '
        "expected list of string",
        'dev / networking / aws pulumi:providers:aws: skipRegionValidation: got string "yes", expected boolean',
        "dev / networking / aws pulumi:providers:aws: assumeRoles[0].sessionNam: "
        'unknown key (did you mean "sessionName"?), expected one of: duration, externalId, policy, policyArns, '
        "roleArn, sessionName, sourceIdentity, tags, "
        "transitiveTagKeys",
    ]


def test_every_finding_is_reported_at_once_and_the_report_fails(capsys):
    plan = with_function(dev_plan(), architectures="arm64", tracingConfig={"mod": "Active"}, memorySize="512")
    inputs_of(plan, "database-instance")["port"] = "5432"
    rich_console = plan_cli.Console(width=80)
    assert types.report("dev", plan, rich_console) == 1
    out = capsys.readouterr().out
    assert len(found(plan)) == 5
    for finding in found(plan):
        assert finding in out  # one line each, never wrapped
    assert "dev: 5 type finding(s)" in out


def test_make_plan_prints_the_findings_after_writing_the_plan_and_fails(tmp_path, monkeypatch, capsys):
    broken = with_function(dev_plan(), architectures="arm64")
    monkeypatch.setattr("tooling.checks.cli.plan_environment", lambda env: broken)
    monkeypatch.setattr(engine, "PLAN_DIR", tmp_path)
    monkeypatch.setattr(plan_cli, "print_summary", lambda plan, console: None)
    assert plan_cli.main(["dev"]) == 1
    out = capsys.readouterr().out
    assert (tmp_path / "dev.json").exists()
    finding = function_finding('architectures: got string "arm64"')
    assert out.index(f"wrote {tmp_path / 'dev.json'}") < out.index(finding)

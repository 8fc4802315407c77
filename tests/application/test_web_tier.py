"""The blue/green web tier as planned, and what switching colours changes: the listener's weights, nothing else."""

import base64
import json
import re
from typing import Any

import pytest

from application.settings import WebImageSettings
from application.web_tier import USER_DATA
from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from shared.tagging import DEPLOYED_AT
from tests.application.common import (
    ACCOUNT,
    EXPECTED,
    GROUP,
    LISTENER,
    TARGET_GROUP,
    TEMPLATE,
    application,
    by_name,
    named,
    upstream,
)
from tests.support import run_layer, suffix_of


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("color", ["blue", "green"])
def test_launch_templates_are_graviton_imdsv2_encrypted_and_private(env, color):
    template = named(application(env), TEMPLATE, f"web-{color}")["inputs"]
    assert template["instanceType"] == EXPECTED[env]["instance_type"]
    image = WebImageSettings.model_validate_json(read_layer_config("application", env)["application:webImage"])
    assert template["imageId"] == image.id  # pinned: no lookup at launch
    assert template["tags"]["ImageName"] == image.name
    options = template["metadataOptions"]
    assert (options["httpTokens"], options["httpPutResponseHopLimit"]) == ("required", 1)
    (volume,) = template["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] == "true"
    assert volume["ebs"]["kmsKeyId"] == upstream(env, "data")["kmsKeyArn"]
    assert "networkInterfaces" not in template  # no public IP: private subnets, nothing assigned
    assert template["vpcSecurityGroupIds"] == [upstream(env, "networking")["webSecurityGroupId"]]
    for spec in template["tagSpecifications"]:
        assert DEPLOYED_AT not in spec["tags"]  # would make a new template version every day
        assert spec["tags"]["Color"] == color
        assert spec["tags"]["ImageName"] == image.name  # instances say which release they run
    script = base64.b64decode(template["userData"]).decode()
    assert f'COLOR="{color}"' in script and "@@" not in script
    assert "amazon-cloudwatch-agent" in script and "xray" in script and "/health" in script


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("color", ["blue", "green"])
def test_each_colour_has_a_group_across_the_private_subnets_behind_its_target_group(env, color):
    layer = application(env)
    group = named(layer, GROUP, f"web-{color}")
    target = named(layer, TARGET_GROUP, f"web-targets-{color}")
    inputs = group["inputs"]
    assert inputs["name"] == f"asg-web-{color}-{env}-{EXPECTED[env]['suffix']}"
    assert inputs["vpcZoneIdentifiers"] == upstream(env, "networking")["privateSubnetIds"]
    assert inputs["targetGroupArns"] == [target["outputs"]["arn"]]
    assert inputs["healthCheckType"] == "ELB"
    assert inputs["serviceLinkedRoleArn"] == upstream(env, "data")["autoScalingRoleArn"]
    assert inputs["waitForElbCapacity"] == inputs["desiredCapacity"]
    name = target["inputs"]["name"]
    assert re.fullmatch(rf"tg-{color}-{env}-{suffix_of(env)}-[0-9a-f]{{4}}", name) and len(name) <= 32
    assert "namePrefix" not in target["inputs"]
    assert target["inputs"]["healthCheck"]["path"] == "/health"
    # after the listeners: the ALB health-checks only target groups a listener references
    https = named(layer, LISTENER, "listeners-https")["urn"]
    assert https in group["dependencies"]


def _agent_config(script: str) -> dict[str, Any]:
    """The CloudWatch agent's configuration as user_data.sh writes it (shell variables left as text)."""
    match = re.search(r"amazon-cloudwatch-agent\.json <<JSON\n(.*?)\nJSON\n", script, re.DOTALL)
    assert match, "user_data.sh no longer writes the CloudWatch agent's configuration"
    return dict(json.loads(match.group(1).replace("\\$", "$")))


def _what_the_instance_calls(region: str, log_prefix: str) -> dict[str, str]:
    """action -> resource, derived from what the instance is configured to do, not from the policy."""
    script = USER_DATA.read_text()
    agent = _agent_config(script)
    calls: dict[str, str] = {}
    groups = {entry["log_group_name"] for entry in agent["logs"]["logs_collected"]["files"]["collect_list"]}
    assert groups and all(group.startswith("${LOG_GROUP_PREFIX}/") for group in groups)
    for action in ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"):
        calls[action] = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{log_prefix}/*"
    calls["cloudwatch:PutMetricData"] = f"* in namespace {agent['metrics']['namespace']}"
    if "${aws:AutoScalingGroupName}" in json.dumps(agent["metrics"].get("append_dimensions", {})):
        calls["ec2:DescribeTags"] = "*"  # the agent reads the aws:autoscaling:groupName tag
    if "traces" in agent or "systemctl enable --now xray" in script:
        for action in ("PutTraceSegments", "PutTelemetryRecords", "GetSamplingRules", "GetSamplingTargets"):
            calls[f"xray:{action}"] = "*"
    # Operators reach instances through Session Manager only (no SSH: nothing listens on 22).
    calls["ssm:UpdateInstanceInformation"] = f"arn:aws:ec2:{region}:{ACCOUNT}:instance/*"
    for action in ("CreateControlChannel", "CreateDataChannel", "OpenControlChannel", "OpenDataChannel"):
        calls[f"ssmmessages:{action}"] = "*"
    return calls


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_instance_role_grants_exactly_what_the_instance_calls(env):
    """Like the functions' roles: what is needed, derived from user_data.sh (the agent's configuration),
    equals what is granted, action by action and resource by resource; no AWS managed policy."""
    layer = application(env)
    role = named(layer, "aws:iam/role:Role", "web-role")
    assert by_name(layer, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") == {}
    (policy,) = [
        p for p in by_name(layer, "aws:iam/rolePolicy:RolePolicy").values() if p["inputs"]["role"] == role["id"]
    ]
    granted: dict[str, str] = {}
    for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
        assert statement["Effect"] == "Allow"
        namespace = (statement.get("Condition") or {}).get("StringEquals", {}).get("cloudwatch:namespace")
        resource = f"* in namespace {namespace}" if namespace else statement["Resource"]
        for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
            assert action not in granted, f"{action} granted twice"
            granted[action] = resource
    region = upstream(env, "data")["region"]
    log_prefix = named(layer, TEMPLATE, "web-blue")["inputs"]["tagSpecifications"][0]["tags"]["LogGroupPrefix"]
    assert log_prefix == f"/web-{env}-{suffix_of(env)}"
    assert granted == _what_the_instance_calls(region, log_prefix)
    profile = named(layer, "aws:iam/instanceProfile:InstanceProfile", "web-profile")
    assert profile["inputs"]["role"] == role["inputs"]["name"]
    assert policy["urn"] in profile["dependencies"]  # instances never start without their permissions


def _inputs_by_urn(resources):
    return {r["urn"]: r["inputs"] for r in resources}


@pytest.mark.parametrize(
    ("overrides", "weights"),
    [
        ({"application:activeColor": "green"}, {"blue": 0, "green": 100}),
        ({"application:canaryPercent": "10"}, {"blue": 90, "green": 10}),
    ],
    ids=["switch to green", "canary 10 % to green"],
)
def test_switching_colours_changes_only_the_listener_weights(overrides, weights):
    baseline = _inputs_by_urn(application("dev")["resources"])
    switched = run_layer("application", "dev", overrides)
    changed = {urn for urn, inputs in _inputs_by_urn(switched.resources).items() if baseline.get(urn) != inputs}
    assert changed == {next(urn for urn in baseline if urn.endswith(f"{LISTENER}::listeners-https"))}
    listener = next(r for r in switched.resources if r["urn"].endswith("::listeners-https"))
    arns = {
        r["urn"].rsplit("-", 1)[-1]: r["outputs"]["arn"]
        for r in switched.resources
        if "web-targets-" in r["urn"] and r["custom"]
    }
    got = {
        color: next(
            t["weight"] for t in listener["inputs"]["defaultActions"][0]["forward"]["targetGroups"] if t["arn"] == arn
        )
        for color, arn in arns.items()
    }
    assert got == weights


@pytest.mark.parametrize("color", ["blue", "green"])
def test_the_cloudwatch_agent_collects_the_traces_and_no_xray_daemon_runs(color):
    """The X-Ray daemon reaches end of support on 2027-02-25: local applications send X-Ray segments and
    OpenTelemetry spans to the CloudWatch agent on the loopback interface, which forwards them to X-Ray."""
    template = named(application("prod"), TEMPLATE, f"web-{color}")["inputs"]
    script = base64.b64decode(template["userData"]).decode()
    heredoc = script.split("amazon-cloudwatch-agent.json <<JSON\n", 1)[1].split("\nJSON\n", 1)[0]
    agent = json.loads(heredoc.replace("\\$", "$"))  # the shell's unquoted heredoc unescapes \$

    collected = agent["traces"]["traces_collected"]
    assert collected["xray"] == {"bind_address": "127.0.0.1:2000", "tcp_proxy": {"bind_address": "127.0.0.1:2000"}}
    assert collected["otlp"] == {"grpc_endpoint": "127.0.0.1:4317", "http_endpoint": "127.0.0.1:4318"}
    assert "xray-daemon" not in script and "enable --now xray" not in script
    assert "-a fetch-config -m ec2 -s" in script and "amazon-cloudwatch-agent.json" in script

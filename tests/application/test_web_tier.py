"""The blue/green web tier as planned, and what switching colours changes: the listener's weights, nothing else."""

import base64
import json

import pytest

from application.web_tier import AMI_PARAMETER
from shared.tagging import DEPLOYED_AT
from tests.application.common import (
    ENVIRONMENTS,
    GROUP,
    LISTENER,
    SUFFIX,
    TARGET_GROUP,
    TEMPLATE,
    application,
    by_name,
    named,
    upstream,
)
from tests.support import run_layer

TYPES = {"dev": "t4g.small", "staging": "t4g.small", "prod": "t4g.medium"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("color", ["blue", "green"])
def test_launch_templates_are_graviton_imdsv2_encrypted_and_private(env, color):
    template = named(application(env), TEMPLATE, f"web-{color}")["inputs"]
    assert template["instanceType"] == TYPES[env]
    assert template["imageId"] == f"resolve:ssm:{AMI_PARAMETER}"
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
    assert inputs["name"] == f"asg-web-{color}-{env}-{SUFFIX[env]}"
    assert inputs["vpcZoneIdentifiers"] == upstream(env, "networking")["privateSubnetIds"]
    assert inputs["targetGroupArns"] == [target["outputs"]["arn"]]
    assert inputs["healthCheckType"] == "ELB"
    assert inputs["serviceLinkedRoleArn"] == upstream(env, "data")["autoScalingRoleArn"]
    assert inputs["waitForElbCapacity"] == inputs["desiredCapacity"]
    assert "namePrefix" in target["inputs"] and "name" not in target["inputs"]
    assert target["inputs"]["healthCheck"]["path"] == "/health"
    # after the listeners: the ALB health-checks only target groups a listener references
    https = named(layer, LISTENER, "listeners-https")["urn"]
    assert https in group["dependencies"]


def test_the_instance_profile_has_only_ssm_cloudwatch_agent_and_xray():
    attachments = by_name(application("dev"), "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    web = sorted(a["inputs"]["policyArn"] for name, a in attachments.items() if name.startswith("web-role-"))
    assert web == [
        "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    ]


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

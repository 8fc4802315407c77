"""Flow logs of every VPC reach a KMS-encrypted log group kept as long as the environment requires."""

import json

import pytest

from shared.environments import ENVIRONMENTS
from tests.networking.common import EXPECTED
from tests.support import layer_of, one, planned


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def plan(request):
    return request.param, layer_of(planned(request.param), "networking")


def test_flow_log_captures_all_vpc_traffic_into_the_log_group(plan):
    _, layer = plan
    flow_log = one(layer, "aws:ec2/flowLog:FlowLog")["inputs"]
    group = one(layer, "aws:cloudwatch/logGroup:LogGroup")
    assert flow_log["vpcId"] == layer["outputs"]["vpcId"]
    assert flow_log["trafficType"] == "ALL"
    assert flow_log["logDestination"] == group["outputs"]["arn"]
    assert flow_log["logDestinationType"] == "cloud-watch-logs"


def test_log_group_is_encrypted_with_a_rotating_customer_managed_key(plan):
    env, layer = plan
    group = one(layer, "aws:cloudwatch/logGroup:LogGroup")["inputs"]
    key = one(layer, "aws:kms/key:Key")
    assert group["kmsKeyId"] == key["outputs"]["arn"]
    assert group["retentionInDays"] == EXPECTED[env]["log_retention"]
    assert key["inputs"]["enableKeyRotation"] is True


def test_key_policy_lets_only_cloudwatch_logs_use_the_key(plan):
    _, layer = plan
    policy = json.loads(one(layer, "aws:kms/key:Key")["inputs"]["policy"])
    assert not any("kms:*" in json.dumps(s["Action"]) for s in policy["Statement"])
    (admin,) = [s for s in policy["Statement"] if s["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}]
    assert "kms:Put*" in admin["Action"] and "kms:Decrypt" not in admin["Action"]
    (logs,) = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    region = layer["outputs"]["region"]
    assert logs["Principal"]["Service"] == f"logs.{region}.amazonaws.com"
    context = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context.startswith(f"arn:aws:logs:{region}:123456789012:log-group:vpc-flow-logs-")


def test_flow_log_role_is_confined_to_this_account_and_log_group(plan):
    _, layer = plan
    role = one(layer, "aws:iam/role:Role")["inputs"]
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = json.loads(one(layer, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"][0]
    group_arn = one(layer, "aws:cloudwatch/logGroup:LogGroup")["outputs"]["arn"]
    assert policy["Resource"] == f"{group_arn}:*"
    assert "logs:*" not in policy["Action"]

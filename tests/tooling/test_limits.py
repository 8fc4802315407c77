"""AWS's limits over the offline plans: each limit at its boundary, the real plans, and the make plan path."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from tests.support import layer_of, planned
from tooling.checks import plan_files as command
from tooling.checks.limits import check as limits_check
from tooling.checks.limits.check import check_plan, known_limits, quotas

Resource = dict[str, Any]


def plan_of(*resources: Resource, env: str = "dev") -> dict[str, Any]:
    return {"environment": env, "layers": [{"name": "application", "resources": list(resources)}]}


def resource(resource_type: str, name: str, inputs: dict[str, Any], resource_id: str = "") -> Resource:
    return {
        "urn": f"urn:pulumi:dev::application::{resource_type}::{name}",
        "id": resource_id or name,
        "type": resource_type,
        "inputs": inputs,
    }


def padded(size: int, build: Callable[[str], str]) -> str:
    """The text build(padding) at exactly `size` characters (build must grow by one per padding character)."""
    text = build("")
    assert len(text) <= size, f"the smallest text is already {len(text)} characters"
    return build("a" * (size - len(text)))


def policy(size: int) -> str:
    """An IAM-style policy document whose white-space-free JSON is `size` characters long."""

    def build(padding: str) -> str:
        statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{padding}"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))

    return padded(size, build)


def function(name: str, **inputs: Any) -> Resource:
    return resource("aws:lambda/function:Function", name, inputs)


def role_with_inline(total: int) -> list[Resource]:
    """A role whose two inline policies add up to `total` characters."""
    first = policy(total // 2)
    return [
        resource("aws:iam/role:Role", "worker-role", {"name": "role-worker", "assumeRolePolicy": policy(300)}),
        resource("aws:iam/rolePolicy:RolePolicy", "worker-a", {"role": "role-worker", "policy": first}),
        resource(
            "aws:iam/rolePolicy:RolePolicy", "worker-b", {"role": "role-worker", "policy": policy(total - len(first))}
        ),
    ]


def security_group(direction: str, rules: int) -> list[Resource]:
    rule_type = "Ingress" if direction == "ingress" else "Egress"
    group = resource("aws:ec2/securityGroup:SecurityGroup", "sg", {"name": "sg-lambda"}, "sg-1")
    return [group] + [
        resource(
            f"aws:vpc/securityGroup{rule_type}Rule:SecurityGroup{rule_type}Rule",
            f"rule-{n}",
            {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": n, "toPort": n, "cidrIpv4": "10.0.0.0/16"},
        )
        for n in range(rules)
    ]


def network_acl(egress: bool, rules: int) -> list[Resource]:
    """Half of the rules inline on the ACL, half as NetworkAclRule resources: both count."""
    inline = [
        {"ruleNo": 100 + n, "action": "allow", "protocol": "6", "fromPort": n, "toPort": n} for n in range(rules // 2)
    ]
    acl = resource(
        "aws:ec2/networkAcl:NetworkAcl", "acl", {"vpcId": "vpc-1", "egress" if egress else "ingress": inline}, "acl-1"
    )
    return [acl] + [
        resource(
            "aws:ec2/networkAclRule:NetworkAclRule",
            f"rule-{n}",
            {"networkAclId": "acl-1", "egress": egress, "ruleNumber": 500 + n},
        )
        for n in range(rules - rules // 2)
    ]


def tagged(tags: dict[str, str]) -> list[Resource]:
    return [resource("aws:sqs/queue:Queue", "queue", {"tags": tags})]


def web_acl(capacity: int) -> list[Resource]:
    """Managed rule groups and rate rules adding up to `capacity` WCUs (published WCUs from quotas.yaml)."""
    wcus = dict(quotas()["managed-rule-group-wcus"]["groups"])
    rate = quotas()["rate-based-rule-wcus"]["value"]
    odd = [group for group, cost in wcus.items() if cost % 2]
    chosen = odd[:1] if capacity % 2 else []  # the one odd-sized group makes an odd capacity
    left = capacity - sum(wcus[g] for g in chosen)
    for group, cost in sorted(wcus.items(), key=lambda item: -item[1]):
        if group not in odd and cost <= left:
            chosen.append(group)
            left -= cost
    assert left % rate == 0, f"{left} WCUs cannot be made of rate rules of {rate}"
    rules = [{"name": g, "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": g}}} for g in chosen]
    rules += [
        {"name": f"rate-{n}", "statement": {"rateBasedStatement": {"limit": 100, "aggregateKeyType": "IP"}}}
        for n in range(left // rate)
    ]
    return [resource("aws:wafv2/webAcl:WebAcl", "waf", {"rules": rules})]


def resource_policy(resource_type: str, size: int) -> list[Resource]:
    return [resource(resource_type, "holder", {"policy": padded(size, lambda p: json.dumps({"Id": p}))})]


def functions_reserving(total: int) -> list[Resource]:
    return [function("api", reservedConcurrentExecutions=total - 1), function("worker", reservedConcurrentExecutions=1)]


# limit id -> (figure at the limit -> the resources that make it)
BOUNDARIES: dict[str, Callable[[int], list[Resource]]] = {
    # Lambda measures the variables' JSON: {"M":"..."} is 8 bytes more than the value
    "lambda-environment-variables": lambda size: [function("api", environment={"variables": {"M": "x" * (size - 8)}})],
    "lambda-unreserved-concurrency": functions_reserving,
    "iam-role-inline-policies": role_with_inline,
    "iam-managed-policy": lambda size: [resource("aws:iam/policy:Policy", "managed", {"policy": policy(size)})],
    "iam-role-trust-policy": lambda size: [
        resource("aws:iam/role:Role", "trusting", {"name": "r", "assumeRolePolicy": policy(size)})
    ],
    "vpc-security-group-inbound-rules": lambda n: security_group("ingress", n),
    "vpc-security-group-outbound-rules": lambda n: security_group("egress", n),
    "vpc-network-acl-inbound-rules": lambda n: network_acl(False, n),
    "vpc-network-acl-outbound-rules": lambda n: network_acl(True, n),
    "tags-per-resource": lambda n: tagged({f"Tag{i}": "x" for i in range(n)}),
    "tag-key-length": lambda n: tagged({"k" * n: "x"}),
    "tag-value-length": lambda n: tagged({"Name": "v" * n}),
    "waf-web-acl-capacity": web_acl,
    "secretsmanager-secret-value": lambda size: [
        resource("aws:secretsmanager/secretVersion:SecretVersion", "secret", {"secretString": "s" * size})
    ],
    "ssm-standard-parameter": lambda size: [
        resource("aws:ssm/parameter:Parameter", "param", {"type": "SecureString", "value": "p" * size})
    ],
    "ssm-advanced-parameter": lambda size: [
        resource("aws:ssm/parameter:Parameter", "param", {"tier": "Advanced", "value": "p" * size})
    ],
    "s3-bucket-policy": lambda size: resource_policy("aws:s3/bucketPolicy:BucketPolicy", size),
    "sns-topic-policy": lambda size: resource_policy("aws:sns/topicPolicy:TopicPolicy", size),
    "sqs-queue-policy": lambda size: resource_policy("aws:sqs/queuePolicy:QueuePolicy", size),
    "kms-key-policy": lambda size: resource_policy("aws:kms/key:Key", size),
    "apigateway-api-keys": lambda n: [resource("aws:apigateway/apiKey:ApiKey", f"key-{i}", {}) for i in range(n)],
    "apigateway-usage-plans": lambda n: [
        resource("aws:apigateway/usagePlan:UsagePlan", f"plan-{i}", {}) for i in range(n)
    ],
}


def reservable(env: str = "dev") -> int:
    quota = int(read_layer_config("application", env)["application:accountConcurrencyLimit"])
    return quota - limits_check.UNRESERVED_CONCURRENCY


def allowed_figure(limit: str) -> int:
    return reservable() if limit == "lambda-unreserved-concurrency" else known_limits()[limit].value


def test_every_limit_has_a_boundary_test():
    assert set(BOUNDARIES) == set(known_limits())


@pytest.mark.parametrize("limit", sorted(BOUNDARIES))
def test_each_limit_holds_at_its_value_and_fails_one_above_naming_resource_figure_and_limit(limit):
    at = allowed_figure(limit)
    result = check_plan("dev", plan_of(*BOUNDARIES[limit](at)))
    measured = [f for f in result.figures if f.limit == limit]
    assert max(f.value or 0 for f in measured) == at, f"the boundary case of {limit} does not measure {at}"
    assert result.findings == []

    over = check_plan("dev", plan_of(*BOUNDARIES[limit](at + 1)))
    assert [f.limit.id for f in over.findings] == [limit]
    message = str(over.findings[0])
    assert f"{at + 1:,}" in message and f"{at:,}" in message and limit in message
    assert known_limits()[limit].source in message


def test_the_limits_file_says_of_each_limit_whether_it_is_hard_and_where_aws_documents_it():
    for limit in known_limits().values():
        assert limit.kind in ("hard", "adjustable"), limit.id
        assert limit.scope in ("resource", "account-region"), limit.id
        assert limit.source.startswith("https://docs.aws.amazon.com/"), limit.id
        assert limit.value > 0 and limit.unit and limit.what, limit.id


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_todays_plans_are_within_every_limit(env):
    result = check_plan(env, planned(env))
    assert result.findings == []
    measured = {f.limit for f in result.figures if f.value is not None}
    # every limit the plan has resources for is measured (dev has no WAF, no SSM parameters, no queue policies)
    assert {"lambda-environment-variables", "iam-role-inline-policies", "iam-role-trust-policy",
            "vpc-security-group-inbound-rules", "vpc-network-acl-inbound-rules", "tags-per-resource",
            "s3-bucket-policy", "sns-topic-policy", "kms-key-policy", "apigateway-api-keys",
            "lambda-unreserved-concurrency"} <= measured  # fmt: skip


def test_what_cannot_be_measured_offline_is_listed_not_passed_silently():
    plan = plan_of(
        resource("aws:secretsmanager/secretVersion:SecretVersion", "masked", {"secretString": "[secret]"}),
        *web_acl(700),
    )
    plan["layers"][0]["resources"][1]["inputs"]["rules"].append(
        {"name": "vendor", "statement": {"managedRuleGroupStatement": {"vendorName": "Other", "name": "Unknown"}}}
    )
    result = check_plan("dev", plan)
    assert {(f.limit, f.detail) for f in result.unmeasured} == {
        ("secretsmanager-secret-value", "a secret value the plan masks"),
        ("waf-web-acl-capacity", "rules without a known capacity: vendor"),
    }
    console = Console(record=True, width=200)
    assert limits_check.report("dev", plan, console) == 0
    assert "2 not measurable offline" in console.export_text()


# --- the real plan, grown past a limit ----------------------------------------------------------


def grown(env: str, layer: str, change: Callable[[list[Resource]], None]) -> dict[str, Any]:
    """env's real plan with change applied to one layer's resources."""
    plan = copy.deepcopy(planned(env))
    change(layer_of(plan, layer)["resources"])
    return plan


def process_payment(resources: list[Resource]) -> Resource:
    return next(r for r in resources if r["urn"].endswith("::process-payment-function"))


def test_an_oversized_function_environment_fails_naming_the_function_and_the_limit():
    def oversize(resources: list[Resource]) -> None:
        process_payment(resources)["inputs"]["environment"]["variables"]["OVERSIZED"] = "m" * 4096

    console = Console(record=True, width=300)
    assert limits_check.report("dev", grown("dev", "application", oversize), console) == 1
    text = console.export_text()
    assert "application process-payment-function (aws:lambda/function:Function): environment variables" in text
    assert "over the hard limit of 4,096 bytes" in text and "[lambda-environment-variables:" in text


def test_an_oversized_inline_policy_fails_naming_the_role_and_the_limit():
    def oversize(resources: list[Resource]) -> None:
        role_policy = next(r for r in resources if r["type"] == "aws:iam/rolePolicy:RolePolicy")
        document = json.loads(role_policy["inputs"]["policy"])
        document["Statement"] += [
            {"Effect": "Allow", "Action": f"s3:GetObject{n}", "Resource": "*"} for n in range(300)
        ]
        role_policy["inputs"]["policy"] = json.dumps(document)

    (finding,) = check_plan("dev", grown("dev", "application", oversize)).findings
    assert finding.limit.id == "iam-role-inline-policies"
    assert "inline policies of a role, all combined, without white space" in str(finding)
    assert "over the hard limit of 10,240 characters" in str(finding)


def test_too_many_security_group_rules_fail_naming_the_group_and_the_quota():
    def open_ports(resources: list[Resource]) -> None:
        rule = next(r for r in resources if r["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        for port in range(61):
            extra = copy.deepcopy(rule)
            extra["urn"] += f"-{port}"
            extra["inputs"]["fromPort"] = extra["inputs"]["toPort"] = 10000 + port
            resources.append(extra)

    (finding,) = check_plan("dev", grown("dev", "networking", open_ports)).findings
    assert finding.limit.id == "vpc-security-group-inbound-rules"
    assert "(aws:ec2/securityGroup:SecurityGroup): inbound rules of a security group" in str(finding)
    assert "over the default quota (adjustable) of 60 rules" in str(finding)


def test_make_plan_exits_1_when_a_limit_is_broken(tmp_path, monkeypatch):
    def oversize(resources: list[Resource]) -> None:
        process_payment(resources)["inputs"]["environment"]["variables"]["PADDING"] = "p" * 5000

    monkeypatch.setattr(command.engine, "PLAN_DIR", tmp_path)
    console = Console(record=True, width=300)
    assert command.write_plan("dev", grown("dev", "application", oversize), console) == 1
    assert "dev: 1 AWS limit(s) exceeded" in console.export_text()


# --- account and region: reserved concurrency -------------------------------------------------------


def test_reservations_of_environments_sharing_an_account_and_region_add_up(monkeypatch):
    """staging moved into prod's region with a quota of 440 (340 reservable): prod and staging together are over."""
    real = limits_check.read_layer_config

    def moved(layer: str, env: str) -> dict[str, Any]:
        config = dict(real(layer, env))
        if env in ("staging", "prod"):
            config["platform:region"] = "eu-west-1"
            config["application:accountConcurrencyLimit"] = "440"
        return config

    monkeypatch.setattr(limits_check, "read_layer_config", moved)
    prod, staging = planned("prod"), planned("staging")
    result = check_plan("prod", prod, plan_of={"staging": staging}.__getitem__)
    (finding,) = result.findings
    figure = finding.figure
    reserved = {
        env: limits_check.measure.reserved_concurrency(limits_check.measure.planned_resources(p))
        for env, p in (("prod", prod), ("staging", staging))
    }
    assert (
        figure.value == sum(reserved.values())
        and figure.detail == f"prod {reserved['prod']}, staging {reserved['staging']}"
    )
    assert "over the 340 executions that may be reserved (440 minus the 100 AWS keeps unreserved)" in str(finding)
    # in separate regions, each fits on its own
    monkeypatch.setattr(limits_check, "read_layer_config", real)
    assert check_plan("prod", prod).findings == []


def test_a_quota_below_what_one_environment_reserves_fails(monkeypatch):
    real = limits_check.read_layer_config
    monkeypatch.setattr(
        limits_check,
        "read_layer_config",
        lambda layer, env: {**real(layer, env), "application:accountConcurrencyLimit": "120"},
    )
    (finding,) = check_plan("prod", planned("prod")).findings
    assert finding.limit.id == "lambda-unreserved-concurrency"
    assert "over the 20 executions that may be reserved" in str(finding)

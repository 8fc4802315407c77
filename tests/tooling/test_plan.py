"""Invariants of the offline plan of every environment: shape, tags, names, providers, contracts."""

import json
import re

import pytest

from policy.taggable import is_taggable
from shared import stack_files
from shared.contracts import CONTRACTS, DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.errors import ContractError
from shared.naming import RULES
from shared.stack_refs import UpstreamStack
from shared.tagging import DEPLOYED_AT, REQUIRED_TAGS
from tests.support import NO_SUCH_ENVIRONMENT, layer_of, planned, run_layer, suffix_of
from tooling.checks import plan_files as plan_cli
from tooling.checks import stack_config
from tooling.plan import engine

RESOURCE_KEYS = {"urn", "type", "custom", "parent", "provider", "dependencies", "inputs", "outputs", "protect"}

# Which input holds a resource's physical name, and which naming rule applies to it.
NAME_INPUTS = {
    "name": None,
    "bucket": "s3",
    "identifier": "rds",
    "functionName": "lambda",
    "dashboardName": "cloudwatch",
}
# `name` is not a name we choose: a DNS record's name (ACM tells which).
NOT_PHYSICAL_NAMES = ("aws:route53/record:Record",)
SERVICE_OF_MODULE = {
    "s3": "s3", "rds": "rds", "lb": "elb", "lambda": "lambda", "iam": "iam", "sqs": "sqs", "sns": "sns",
    "dynamodb": "dynamodb", "secretsmanager": "secrets", "ssm": "ssm", "ec2": "ec2", "apigateway": "apigateway",
}  # fmt: skip
NAME_RULE_OF_TYPE = {
    "aws:cloudwatch/logGroup:LogGroup": "logs",
    "aws:kms/alias:Alias": "kms-alias",
    "aws:rds/proxy:Proxy": "rds-proxy",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "cloudwatch",
}

# Names that cannot carry the environment marker: API Gateway model names are alphanumeric (AWS) and
# unique only within their REST API, and AWS itself names the execution log group after the API id.
UNMARKED_NAMES = {
    "aws:apigateway/model:Model": re.compile(r"^[A-Za-z0-9]{1,64}$"),
    # names AWS fixes: API Gateway's execution logs, RDS enhanced monitoring's one group per account and region
    "aws:cloudwatch/logGroup:LogGroup": re.compile(
        r"^(API-Gateway-Execution-Logs_[a-z0-9]{10}/[A-Za-z0-9_-]+|RDSOSMetrics)$"
    ),
}


def aws_resources(env: str):
    for layer in planned(env)["layers"]:
        for resource in layer["resources"]:
            if resource["custom"] and resource["type"].startswith("aws:"):
                yield layer, resource


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_plan_has_four_layers_in_deploy_order_with_the_documented_shape(env):
    plan = planned(env)
    assert plan["environment"] == env
    assert [layer["name"] for layer in plan["layers"]] == list(DEPLOY_ORDER)
    for layer in plan["layers"]:
        assert layer["stack"] == f"organization/payments-{layer['name']}/{env}"
        assert layer["project"] == f"payments-{layer['name']}"
        assert layer["resources"], layer["name"]
        for resource in layer["resources"]:
            assert set(resource) >= RESOURCE_KEYS, resource["urn"]
    json.dumps(plan)  # serialisable as written to build/plan/<env>.json


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_taggable_resource_carries_the_tag_set(env):
    checked = 0
    for layer, resource in aws_resources(env):
        if not is_taggable(resource["type"]):
            continue
        tags = resource["inputs"].get("tags") or {}
        ignored = f'tags["{DEPLOYED_AT}"]'
        if isinstance(tags, list):  # Auto Scaling groups: a list of {key, value, propagateAtLaunch}
            ignored = f"tags[{[t['key'] for t in tags].index(DEPLOYED_AT)}].value" if tags else ignored
            tags = {t["key"]: t["value"] for t in tags}
        missing = [t for t in REQUIRED_TAGS if t not in tags]
        assert not missing, f"{resource['urn']} lacks tags {missing}"
        assert tags["Environment"] == env
        assert tags["Layer"] == layer["name"]
        assert tags["ManagedBy"] == "pulumi"
        assert ignored in resource["ignoreChanges"], f"{resource['urn']} would diff on every up"
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_named_resource_carries_the_suffix_within_its_service_limit(env):
    marker = f"-{env}-{suffix_of(env)}"
    checked = 0
    for _, resource in aws_resources(env):
        if resource["type"] in NOT_PHYSICAL_NAMES:
            continue
        module = resource["type"].split(":")[1].split("/")[0]
        for key, rule in NAME_INPUTS.items():
            name = resource["inputs"].get(key)
            if not isinstance(name, str):
                continue
            service = rule or NAME_RULE_OF_TYPE.get(resource["type"]) or SERVICE_OF_MODULE.get(module, "generic")
            unmarked = UNMARKED_NAMES.get(resource["type"])
            if key == "name" and unmarked and unmarked.match(name):
                checked += 1
                continue
            assert marker in name, f"{resource['urn']}: {key}={name!r} lacks {marker!r}"
            assert len(name) <= RULES[service].max_length, f"{name!r} exceeds {RULES[service].service} limit"
            assert RULES[service].pattern.match(name), f"{name!r} breaks {RULES[service].service} rules"
            checked += 1
        tags = resource["inputs"].get("tags") or {}
        if isinstance(tags, list):  # Auto Scaling groups
            tags = {t["key"]: t["value"] for t in tags}
        name_tag = tags.get("Name")
        if name_tag:
            assert marker in name_tag, f"{resource['urn']}: Name tag {name_tag!r} lacks {marker!r}"
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_aws_resource_uses_the_stacks_explicit_provider(env):
    for layer, resource in aws_resources(env):
        provider = resource["provider"] or ""
        assert provider.startswith(
            f"urn:pulumi:{env}::payments-{layer['name']}::pulumi:pulumi:Stack$pulumi:providers:aws::aws::"
        )


def test_provider_guards_the_account_and_region():
    for env in ENVIRONMENTS:
        for layer in planned(env)["layers"]:
            (provider,) = [r for r in layer["resources"] if r["type"] == "pulumi:providers:aws"]
            assert json.loads(provider["inputs"]["allowedAccountIds"]) == ["123456789012"]
            assert provider["inputs"]["region"] == layer["outputs"]["region"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_layer_exports_exactly_its_contract(env):
    for layer in planned(env)["layers"]:
        assert set(layer["outputs"]) == set(CONTRACTS[layer["name"]].exports), layer["name"]
        assert layer["outputs"]["environment"] == env


def test_reading_a_lower_layer_of_another_environment_is_refused():
    networking = {**layer_of(planned("dev"), "networking")["outputs"], "environment": "prod"}
    with pytest.raises(ContractError, match="refusing to mix environments"):
        run_layer("data", "dev", extra_upstream={"organization/payments-networking/dev": networking})


def test_reading_a_lower_layer_in_another_region_is_refused():
    networking = {**layer_of(planned("dev"), "networking")["outputs"], "region": "eu-west-1"}
    with pytest.raises(ContractError, match="'eu-west-1'"):
        run_layer("data", "dev", extra_upstream={"organization/payments-networking/dev": networking})


def test_plan_command_writes_json_and_rejects_unknown_environments(capsys):
    with pytest.raises(SystemExit) as exit_:
        plan_cli.main([NO_SUCH_ENVIRONMENT])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err
        == "make plan: argument ENV: unknown environment 'nope'; allowed: dev, staging, prod (--help shows the usage)\n"
    )
    assert plan_cli.main(["dev"]) == 0
    written = json.loads((engine.PLAN_DIR / "dev.json").read_text())
    assert [layer["name"] for layer in written["layers"]] == list(DEPLOY_ORDER)
    assert "wrote build/plan/dev.json" in capsys.readouterr().out


def test_plan_command_fails_with_one_clear_line_on_bad_config(tmp_path, monkeypatch, capsys):
    for project in stack_config.PROJECTS:
        (tmp_path / project).mkdir()
        for path in (stack_files.REPO / project).glob("Pulumi*.yaml"):  # the project file too
            text = path.read_text()
            (tmp_path / project / path.name).write_text(text.replace("natStrategy: none", "natStrategy: nope"))
    monkeypatch.setattr(stack_files, "REPO", tmp_path)
    monkeypatch.setattr(engine, "PLAN_DIR", tmp_path / "build")
    assert plan_cli.main(["dev"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "plan dev failed: Invalid stack configuration (1 problem(s)):",
        "  - networking/Pulumi.dev.yaml: networking:natStrategy: Input should be 'none', 'single' or 'per_az' "
        "(got 'nope')",
    ]


@pytest.mark.parametrize("layer", DEPLOY_ORDER[1:])
def test_contract_reads_are_exactly_what_each_layer_reads(layer, monkeypatch):
    """`make outputs` names each output's readers from the contract, so the contract must not lie."""
    read: dict[str, set[str]] = {}
    original = UpstreamStack.require

    def recording_require(self, key):
        read.setdefault(self.layer, set()).add(key)
        return original(self, key)

    planned("dev")
    monkeypatch.setattr(UpstreamStack, "require", recording_require)
    run_layer(layer, "dev")
    identity = {"environment", "region"}
    declared = {below: set(keys) - identity for below, keys in CONTRACTS[layer].reads.items()}
    assert {below: read.get(below, set()) for below in declared} == declared


def test_the_same_program_gives_the_same_plan_file():
    """Resources in stack-export order, ties by URN: two runs write the same bytes, so plan files diff cleanly."""
    first, second = engine.plan_environment("dev"), engine.plan_environment("dev")
    assert json.dumps(first) == json.dumps(second)
    for layer in first["layers"]:
        seen: set[str] = set()
        for record in layer["resources"]:
            assert record["parent"] is None or record["parent"] in seen or not record["parent"].startswith("urn:")
            seen.add(record["urn"])

"""accounts/: the deploy role of each environment's account, planned offline from its stack files."""

import json
from functools import cache
from typing import Any

import pytest

from accounts.policies import DEPLOY_SERVICES, GLOBAL_ACTIONS
from accounts.settings import AccountsSettings
from policy import ALL_POLICIES
from shared.config import parse_stack_config
from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.errors import PlatformConfigError
from shared.providers import SESSION_TAG_KEYS, session_tags
from shared.stack_files import REPO, read_stack_file
from tests.support import one, resources, run_layer
from tooling.checks.policy import check_plan
from tooling.plan.mock_runtime import LayerRun, run_program

ACCOUNT = "123456789012"  # the offline plan's caller account
PRINCIPAL = "arn:aws:iam::123456789012:role/payments-ci-deployer"
SUFFIXES = {"dev": "d01", "staging": "s01", "prod": "p01"}
MANAGED_POLICY_LIMIT = 6144  # characters, whitespace excluded


def config_of(env: str) -> dict[str, Any]:
    return read_stack_file(REPO / "accounts" / f"Pulumi.{env}.yaml")


def plan(env: str, overrides: dict[str, Any] | None = None) -> LayerRun:
    config = {**config_of(env), **(overrides or {})}
    return run_program(project="accounts", stack=env, config=config, region=str(config["platform:region"]), upstream={})


@cache
def planned(env: str) -> LayerRun:
    return plan(env)


def policy_named(run: LayerRun, prefix: str) -> dict[str, Any]:
    (found,) = [r for r in resources(run, "aws:iam/policy:Policy") if r["inputs"]["name"].startswith(prefix)]
    return found


def document(record: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    return json.loads(record["inputs"][key])


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in doc["Statement"] if s.get("Sid") == sid]
    return found


def names(env: str) -> dict[str, str]:
    tail = f"{env}-{SUFFIXES[env]}"
    return {
        "role": f"arn:aws:iam::{ACCOUNT}:role/deploy-role-{tail}",
        "boundary": f"arn:aws:iam::{ACCOUNT}:policy/deploy-boundary-{tail}",
        "policy": f"arn:aws:iam::{ACCOUNT}:policy/deploy-policy-{tail}",
    }


def test_accounts_is_a_project_with_a_stack_file_per_environment_but_not_a_layer():
    assert (REPO / "accounts" / "Pulumi.yaml").read_text().startswith("name: payments-accounts\n")
    assert "virtualenv: ../.venv" in (REPO / "accounts" / "Pulumi.yaml").read_text()
    assert "accounts" not in DEPLOY_ORDER


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_platform_block_is_the_layers_block(env):
    layer = {k: v for k, v in read_stack_file(REPO / "networking" / f"Pulumi.{env}.yaml").items() if "platform:" in k}
    own = {k: v for k, v in config_of(env).items() if k.startswith("platform:")}
    assert own == layer


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_role_one_policy_one_boundary_and_the_exports(env):
    run = planned(env)
    custom = sorted(r["type"] for r in run.resources if r["custom"] and not r["type"].startswith("pulumi:"))
    assert custom == [
        "aws:iam/policy:Policy",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    ]
    expected = names(env)
    assert run.outputs["deployRoleArn"] == expected["role"]
    assert run.outputs["permissionsBoundaryArn"] == expected["boundary"]
    assert run.outputs["deployPolicyArn"] == expected["policy"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_trust_is_one_principal_with_the_provider_session_tags(env):
    trust = document(one(planned(env), "aws:iam/role:Role"), "assumeRolePolicy")
    assert {s["Effect"] for s in trust["Statement"]} == {"Allow"}
    assert {json.dumps(s["Principal"]) for s in trust["Statement"]} == {json.dumps({"AWS": PRINCIPAL})}
    assume = statement(trust, "OneDeployerWithSessionTags")
    assert assume["Action"] == "sts:AssumeRole"
    assert assume["Condition"]["StringEquals"] == {
        "aws:RequestTag/environment": env,
        "aws:RequestTag/layer": list(DEPLOY_ORDER),
    }
    assert assume["Condition"]["Null"] == {"aws:RequestTag/deployer": "false"}
    tag = statement(trust, "OnlyTheProviderSessionTags")
    assert tag["Action"] == "sts:TagSession"
    assert tag["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": list(SESSION_TAG_KEYS)}
    assert tag["Condition"]["StringEquals"]["aws:RequestTag/environment"] == env


def test_the_tags_the_provider_sends_are_the_ones_the_trust_requires():
    platform = parse_stack_config(config_of("staging"), "accounts", AccountsSettings, "x").platform
    for layer in DEPLOY_ORDER:
        tags = session_tags(platform, layer)
        assert set(tags) == set(SESSION_TAG_KEYS)
        assert tags["environment"] == "staging"
        assert tags["layer"] == layer


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_role_carries_the_boundary_and_its_one_policy(env):
    run = planned(env)
    role = one(run, "aws:iam/role:Role")
    assert role["inputs"]["permissionsBoundary"] == names(env)["boundary"]
    assert role["inputs"]["maxSessionDuration"] == 3600
    attachment = one(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment["inputs"]["policyArn"] == names(env)["policy"]
    assert not resources(run, "aws:iam/rolePolicy:RolePolicy")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_permissions_are_the_layer_services_in_the_region_and_iam_for_bounded_roles(env):
    run = planned(env)
    region = config_of(env)["platform:region"]
    permissions = document(policy_named(run, "deploy-policy-"))
    assert {s["Effect"] for s in permissions["Statement"]} == {"Allow"}
    services = statement(permissions, "LayerServicesInRegion")
    assert services["Condition"] == {"StringEquals": {"aws:RequestedRegion": [region]}}
    assert {a.split(":")[0] for a in services["Action"]} >= set(DEPLOY_SERVICES)
    assert not any(a.startswith(("iam:", "sts:", "organizations:")) or a == "*" for a in services["Action"])
    create = statement(permissions, "LayerRolesCarryTheBoundary")
    assert "iam:CreateRole" in create["Action"]
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(create["Action"])
    assert create["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/*-{env}-{SUFFIXES[env]}*"
    assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": names(env)["boundary"]}}
    # IAM writes only on the environment's own names; every other IAM grant is a read or scoped.
    for s in permissions["Statement"]:
        iam_writes = [a for a in s["Action"] if a.startswith("iam:") and not a.startswith(("iam:Get", "iam:List"))]
        if iam_writes:
            assert s["Resource"] != "*", s["Sid"]
    # iam:PassRole only to the services the layers hand roles to
    passing = statement(permissions, "PassLayerRolesToTheirServices")
    assert "iam:PassedToService" in passing["Condition"]["StringEquals"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_boundary_denies_unbounded_roles_changes_to_itself_and_other_regions(env):
    run = planned(env)
    region = config_of(env)["platform:region"]
    boundary = document(policy_named(run, "deploy-boundary-"))
    expected = names(env)
    unbounded = statement(boundary, "DenyRolesWithoutTheBoundary")
    assert unbounded["Effect"] == "Deny"
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(unbounded["Action"])
    assert unbounded["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": expected["boundary"]}}
    itself = statement(boundary, "DenyChangingTheDeployRole")
    assert itself["Effect"] == "Deny" and itself["Resource"] == [expected["role"]]
    assert {"iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary"} <= set(
        itself["Action"]
    )
    policies = statement(boundary, "DenyChangingTheBoundaryAndDeployPolicy")
    assert policies["Effect"] == "Deny"
    assert set(policies["Resource"]) == {expected["boundary"], expected["policy"]}
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} <= set(policies["Action"])
    regions = statement(boundary, "DenyLeavingTheRegions")
    assert regions["Effect"] == "Deny" and regions["NotAction"] == list(GLOBAL_ACTIONS)
    assert regions["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": [region]}}
    credentials = statement(boundary, "DenyUsersKeysAndUnboundedRoles")
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary"} <= set(credentials["Action"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_policies_fit_a_managed_policy(env):
    run = planned(env)
    for record in resources(run, "aws:iam/policy:Policy"):
        text = "".join(record["inputs"]["policy"].split())
        assert len(text) < MANAGED_POLICY_LIMIT, record["inputs"]["name"]


def test_additional_regions_widen_the_region_condition_only():
    run = plan("prod", {"accounts:additionalRegions": json.dumps(["us-west-2"])})
    boundary = document(policy_named(run, "deploy-boundary-"))
    regions = statement(boundary, "DenyLeavingTheRegions")["Condition"]["StringNotEquals"]["aws:RequestedRegion"]
    assert regions == ["eu-west-1", "us-west-2"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_policy_pack_passes(env):
    run = planned(env)
    violations = check_plan(
        {
            "environment": env,
            "layers": [
                {"name": "accounts", "stack": f"organization/payments-accounts/{env}", "resources": run.resources}
            ],
        },
        ALL_POLICIES,
    )
    assert [f"{v.policy}: {v.message}" for v in violations] == []


@pytest.mark.parametrize(
    ("principal", "why"),
    [
        ("arn:aws:iam::111122223333:root", "not one IAM role or user ARN"),
        ("*", "not one IAM role or user ARN"),
        ("arn:aws:sts::111122223333:assumed-role/ci/session", "not one IAM role or user ARN"),
        ("arn:aws:iam::1111:role/ci", "not one IAM role or user ARN"),
        ("arn:aws:iam::123456789012:role/deploy-role-dev-d01", "the deploy role itself"),
    ],
)
def test_a_bad_principal_is_refused_before_any_resource(principal, why, declared):
    with pytest.raises(PlatformConfigError, match="accounts:deployerPrincipalArn") as raised:
        plan("dev", {"accounts:deployerPrincipalArn": principal})
    assert why in str(raised.value)
    assert not [d for d in declared if d.startswith(("aws:", "pulumi:providers"))]


def test_a_user_principal_is_accepted():
    run = plan("dev", {"accounts:deployerPrincipalArn": "arn:aws:iam::111122223333:user/ci"})
    trust = document(one(run, "aws:iam/role:Role"), "assumeRolePolicy")
    assert statement(trust, "OneDeployerWithSessionTags")["Principal"] == {"AWS": "arn:aws:iam::111122223333:user/ci"}


def test_a_deploy_role_arn_naming_another_role_is_refused(declared):
    wrong = f"arn:aws:iam::{ACCOUNT}:role/some-other-role"
    with pytest.raises(PlatformConfigError, match="platform:deployRoleArn"):
        plan("dev", {"platform:deployRoleArn": wrong})
    assert not [d for d in declared if d.startswith("aws:")]


def test_the_provider_of_accounts_never_assumes_the_deploy_role():
    run = plan("dev", {"platform:deployRoleArn": names("dev")["role"]})
    provider = one(run, "pulumi:providers:aws")
    assert not provider["inputs"].get("assumeRoles")


@pytest.mark.parametrize("layer", ["data", "application"])
def test_layer_roles_carry_the_boundary_when_deploying_through_the_role(layer):
    run = run_layer(layer, "dev", {"platform:deployRoleArn": names("dev")["role"]})
    roles = resources(run, "aws:iam/role:Role")
    assert roles
    for role in roles:
        assert role["inputs"].get("permissionsBoundary") == names("dev")["boundary"], role["urn"]
        assert role["inputs"]["name"].endswith("-dev-d01")


def test_layer_roles_carry_no_boundary_without_a_deploy_role():
    run = run_layer("data", "dev")
    assert all("permissionsBoundary" not in r["inputs"] for r in resources(run, "aws:iam/role:Role"))

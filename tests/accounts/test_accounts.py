"""accounts/: the roles of each environment's account, planned offline from its stack files."""

import json
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

import pulumi
import pytest

from accounts.policies import (
    DATA_READS,
    DEPLOY_SERVICES,
    GLOBAL_ACTIONS,
    GLOBAL_MODULES,
    REFRESH_READS,
    ROLE_TYPES,
)
from accounts.settings import AccountsSettings
from policy import ALL_POLICIES
from shared.config import parse_stack_config
from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.errors import PlatformConfigError
from shared.providers import ROLE_CHOICE_VARIABLE, SESSION_TAG_KEYS, session_tags
from shared.stack_files import REPO, read_stack_file
from tests.support import layer_of, one, resources, run_layer
from tests.support import planned as planned_environment
from tooling.checks.policy import check_plan
from tooling.plan.mock_runtime import LayerRun, run_program

ACCOUNT = "123456789012"  # the offline plan's caller account
OIDC_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
MANAGED_POLICY_LIMIT = 6144  # characters, whitespace excluded
READ_VERBS = ("Describe", "Get", "List")
# The drift role's one reach past configuration, scoped and tested on its own below.
SECRET_STATEMENTS = (
    "ReadSecretValuesTheStateHolds",
    "ReadParameterValuesTheStateHolds",
    "DecryptThoseSecretsOnly",
    "ReadMerchantEntriesTheStateHolds",
)


def config_of(env: str) -> dict[str, Any]:
    return read_stack_file(REPO / "accounts" / f"Pulumi.{env}.yaml")


def settings_of(env: str) -> AccountsSettings:
    return parse_stack_config(config_of(env), "accounts", AccountsSettings, env).layer


def plan(env: str, overrides: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> LayerRun:
    config = {k: v for k, v in {**config_of(env), **(overrides or {})}.items() if k not in drop}
    return run_program(project="accounts", stack=env, config=config, region=str(config["platform:region"]), upstream={})


@cache
def planned(env: str) -> LayerRun:
    return plan(env)


def tail(env: str) -> str:
    return f"{env}-{config_of(env)['platform:environmentSuffix']}"


def role_arn(env: str, role_type: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role_type}-{tail(env)}"


def role(run: LayerRun, role_type: str) -> dict[str, Any]:
    (found,) = [r for r in resources(run, "aws:iam/role:Role") if r["inputs"]["name"].startswith(f"{role_type}-")]
    return found


def policy_named(run: LayerRun, prefix: str) -> dict[str, Any]:
    (found,) = [r for r in resources(run, "aws:iam/policy:Policy") if r["inputs"]["name"].startswith(f"{prefix}-")]
    return found


def document(record: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    return json.loads(record["inputs"][key])


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in doc["Statement"] if s.get("Sid") == sid]
    return found


def actions(doc: dict[str, Any], effect: str = "Allow") -> list[tuple[str, str]]:
    """(Sid, action) of every action the document's statements of `effect` name."""
    found = []
    for s in doc["Statement"]:
        if s["Effect"] == effect:
            named = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            found += [(s["Sid"], a) for a in named]
    return found


def boundary_arn(env: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/deploy-boundary-{tail(env)}"


# --- the project -------------------------------------------------------------------------------


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
def test_five_roles_each_with_one_policy_under_the_boundary_and_the_exports(env):
    run = planned(env)
    roles = resources(run, "aws:iam/role:Role")
    assert sorted(r["inputs"]["name"] for r in roles) == sorted(f"{t}-{tail(env)}" for t in ROLE_TYPES)
    assert all(r["inputs"]["permissionsBoundary"] == boundary_arn(env) for r in roles)
    assert all(r["inputs"]["maxSessionDuration"] == 3600 for r in roles)
    policies = sorted(r["inputs"]["name"] for r in resources(run, "aws:iam/policy:Policy"))
    assert len(policies) == len(ROLE_TYPES) + 1  # one per role, and the boundary
    attachments = resources(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert len(attachments) == len(ROLE_TYPES)
    assert not resources(run, "aws:iam/rolePolicy:RolePolicy")
    owns = settings_of(env).github.owns_oidc_provider
    assert len(resources(run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")) == int(owns)
    outputs = run.outputs
    assert outputs["deployRoleArn"] == role_arn(env, "deploy-role")
    assert outputs["driftRoleArn"] == role_arn(env, "drift-role")
    assert outputs["ciDeployRoleArn"] == role_arn(env, "ci-deploy-role")
    assert outputs["ciDriftRoleArn"] == role_arn(env, "ci-drift-role")
    assert outputs["deployerRoleArn"] == role_arn(env, "deployer-role")
    assert outputs["permissionsBoundaryArn"] == boundary_arn(env)
    assert outputs["githubOidcProviderArn"] == OIDC_PROVIDER
    assert outputs["githubEnvironments"] == {"deploy": env, "drift": f"drift-{env}"}


def test_the_deploy_role_keeps_its_urns_through_an_alias(monkeypatch):
    """It was a `payments:accounts:DeployRole`: the alias keeps its role and policy from being replaced."""
    aliases: dict[str, list[Any]] = {}
    original = pulumi.Resource.__init__

    def recording_init(self, t, name, *args, **kwargs):
        opts = kwargs.get("opts", args[2] if len(args) > 2 else None)
        if t == "payments:accounts:AccessRole":
            aliases[name] = list(opts.aliases or []) if opts else []
        original(self, t, name, *args, **kwargs)

    monkeypatch.setattr(pulumi.Resource, "__init__", recording_init)
    plan("dev")
    assert [alias.type_ for alias in aliases.pop("deploy-role")] == ["payments:accounts:DeployRole"]
    assert aliases == {"ci-deploy": [], "ci-drift": [], "deployer": [], "drift-role": []}


# --- trust: who enters, who the provider assumes -------------------------------------------------


@pytest.mark.parametrize(("target", "entries"), [("deploy-role", "ci-deploy-role"), ("drift-role", "ci-drift-role")])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_target_roles_trust_their_entry_roles_only_with_the_provider_session_tags(env, target, entries):
    trust = document(role(planned(env), target), "assumeRolePolicy")
    principals = {"AWS": [role_arn(env, entries), role_arn(env, "deployer-role")]}
    assert {s["Effect"] for s in trust["Statement"]} == {"Allow"}
    assert all(s["Principal"] == principals for s in trust["Statement"])
    assume = statement(trust, "EntryRolesWithSessionTags")
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


@pytest.mark.parametrize(
    ("entry", "github_environment"), [("ci-deploy-role", "{env}"), ("ci-drift-role", "drift-{env}")]
)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ci_roles_trust_only_their_repository_and_github_environment(env, entry, github_environment):
    """GitHub's tokens carry no session tags, so the OIDC hop is pinned by its exact `sub` claim."""
    trust = document(role(planned(env), entry), "assumeRolePolicy")
    (only,) = trust["Statement"]
    assert only["Effect"] == "Allow"
    assert only["Principal"] == {"Federated": OIDC_PROVIDER}
    assert only["Action"] == "sts:AssumeRoleWithWebIdentity"
    repository = settings_of(env).github.repository
    assert only["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:{repository}:environment:"
            + github_environment.format(env=env),
        }
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_people_enter_the_deployer_role_from_their_sso_role_with_the_session_tag(env):
    trust = document(role(planned(env), "deployer-role"), "assumeRolePolicy")
    (only,) = trust["Statement"]
    people = settings_of(env).human_deployers
    assert only["Principal"] == {"AWS": people.principal_arns}
    assert only["Action"] == "sts:AssumeRole"
    assert only["Condition"] == {"StringEquals": {f"aws:PrincipalTag/{k}": v for k, v in people.session_tags.items()}}


def test_mfa_and_saml_conditions_of_the_deployer_role():
    saml = f"arn:aws:iam::{ACCOUNT}:saml-provider/corporate-idp"
    sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Deployer_abc"
    people = {"principalArns": [sso, saml], "requireMfa": True, "sessionTags": {"team": "payments"}}
    trust = document(
        role(plan("dev", {"accounts:humanDeployers": json.dumps(people)}), "deployer-role"), "assumeRolePolicy"
    )
    signed_in = statement(trust, "PeopleSignedIn")
    assert signed_in["Principal"] == {"AWS": [sso]}
    assert signed_in["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "StringEquals": {"aws:PrincipalTag/team": "payments"},
    }
    federated = statement(trust, "PeopleFederatedBySaml")
    assert federated["Principal"] == {"Federated": [saml]}
    assert federated["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert federated["Condition"] == {
        "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml", "aws:RequestTag/team": "payments"}
    }


# --- what each role may do -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "assumes"),
    [("ci-deploy", ["deploy-role"]), ("ci-drift", ["drift-role"]), ("deployer", ["deploy-role", "drift-role"])],
)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_entry_roles_may_only_assume_their_targets_and_use_the_state_bucket(env, entry, assumes):
    doc = document(policy_named(planned(env), f"{entry}-policy"))
    assume = statement(doc, "AssumeTargetRolesWithSessionTags")
    assert assume["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert assume["Resource"] == [role_arn(env, t) for t in assumes]
    bucket = "arn:aws:s3:::payments-pulumi-state"
    others = [s for s in doc["Statement"] if s["Sid"] != "AssumeTargetRolesWithSessionTags"]
    assert {json.dumps(s["Resource"]) for s in others} <= {json.dumps(bucket), json.dumps(f"{bucket}/*")} | {
        json.dumps(f"{bucket}/.pulumi/locks/*")
    }
    writes = statement(doc, "WriteState")["Resource"]
    assert writes == (f"{bucket}/.pulumi/locks/*" if entry == "ci-drift" else f"{bucket}/*")


def test_without_a_state_bucket_entry_roles_only_assume():
    run = plan("staging", drop=("accounts:stateBackend",))
    doc = document(policy_named(run, "ci-deploy-policy"))
    assert [s["Sid"] for s in doc["Statement"]] == ["AssumeTargetRolesWithSessionTags"]
    regions = statement(document(policy_named(run, "deploy-boundary")), "DenyLeavingTheRegions")
    assert regions["Resource"] == "*" and "NotResource" not in regions


def test_a_state_key_is_granted_and_exempt_from_the_region_deny():
    key = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000000"
    run = plan("dev", {"accounts:stateBackend": json.dumps({"bucket": "payments-pulumi-state", "kmsKeyArn": key})})
    assert statement(document(policy_named(run, "ci-drift-policy")), "StateKey")["Resource"] == key
    regions = statement(document(policy_named(run, "deploy-boundary")), "DenyLeavingTheRegions")
    assert key in regions["NotResource"] and "arn:aws:s3:::payments-pulumi-state/*" in regions["NotResource"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_deploy_role_permissions_are_the_layer_services_in_the_region_and_iam_for_bounded_roles(env):
    run = planned(env)
    region = config_of(env)["platform:region"]
    permissions = document(policy_named(run, "deploy-policy"))
    assert {s["Effect"] for s in permissions["Statement"]} == {"Allow"}
    services = statement(permissions, "LayerServicesInRegion")
    assert services["Condition"] == {"StringEquals": {"aws:RequestedRegion": [region]}}
    assert {a.split(":")[0] for a in services["Action"]} >= set(DEPLOY_SERVICES)
    assert not any(a.startswith(("iam:", "sts:", "organizations:")) or a == "*" for a in services["Action"])
    create = statement(permissions, "LayerRolesCarryTheBoundary")
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(create["Action"])
    assert create["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/*-{tail(env)}*"
    assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(env)}}
    # IAM writes only on the environment's own names; every other IAM grant is a read or scoped.
    for s in permissions["Statement"]:
        iam_writes = [a for a in s["Action"] if a.startswith("iam:") and not a.startswith(("iam:Get", "iam:List"))]
        if iam_writes:
            assert s["Resource"] != "*", s["Sid"]
    passing = statement(permissions, "PassLayerRolesToTheirServices")
    assert "iam:PassedToService" in passing["Condition"]["StringEquals"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_drift_role_only_reads(env):
    """Every action it is allowed is a read (Describe/Get/List, or API Gateway's GET), and none of
    them, wildcards included, reaches the data: items, objects, messages, logs, traces, requests."""
    doc = document(policy_named(planned(env), "drift-policy"))
    allowed = [(sid, action) for sid, action in actions(doc) if sid not in SECRET_STATEMENTS]
    assert len(allowed) > 30
    for sid, action in allowed:
        service, name = action.split(":")
        assert name.startswith(READ_VERBS) or action == "apigateway:GET", (sid, action)
        assert "*" not in service
    for data in DATA_READS:
        covering = [(sid, a) for sid, a in allowed if fnmatchcase(data, a)]
        assert not covering, (data, covering)
    denied = {a for _, a in actions(doc, "Deny")}
    assert {"dynamodb:GetItem", "dynamodb:Scan", "s3:GetObject", "sqs:ReceiveMessage", "logs:GetLogEvents"} <= denied


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_drift_role_reads_secret_values_only_where_the_state_holds_them(env):
    """A refresh reads a SecretVersion and a SecureString parameter back: only the environment's own, whose
    values Pulumi's state already holds; decryption only through Secrets Manager and Parameter Store."""
    doc = document(policy_named(planned(env), "drift-policy"))
    region = config_of(env)["platform:region"]
    secrets = statement(doc, "ReadSecretValuesTheStateHolds")
    assert secrets["Action"] == "secretsmanager:GetSecretValue"
    assert secrets["Resource"] == [f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:*-{tail(env)}*"]
    parameters = statement(doc, "ReadParameterValuesTheStateHolds")
    assert parameters["Action"] == "ssm:GetParameter"
    assert parameters["Resource"] == [f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/*-{tail(env)}*"]
    decrypt = statement(doc, "DecryptThoseSecretsOnly")
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": [f"secretsmanager.{region}.amazonaws.com", f"ssm.{region}.amazonaws.com"]}
    }
    regional = statement(doc, "ReadLayerResourcesInRegion")
    assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": [region]}}
    assert not any(a.startswith(tuple(f"{m}:" for m in GLOBAL_MODULES)) for a in regional["Action"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_drift_role_reads_the_items_of_the_merchants_table_only(env):
    """A refresh reads back each item the application layer's deploy wrote (the state holds their content);
    every other table's items stay denied, whatever another statement allows."""
    doc = document(policy_named(planned(env), "drift-policy"))
    region = config_of(env)["platform:region"]
    merchants = [f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/merchants-{tail(env)}"]
    entries = statement(doc, "ReadMerchantEntriesTheStateHolds")
    assert (entries["Action"], entries["Resource"]) == ("dynamodb:GetItem", merchants)
    others = statement(doc, "NeverTheItemsOfOtherTables")
    assert (others["Effect"], others["Action"], others["NotResource"]) == ("Deny", "dynamodb:GetItem", merchants)
    assert "dynamodb:Scan" in statement(doc, "NeverTheData")["Action"]
    assert layer_of(planned_environment(env), "data")["outputs"]["merchantsTableName"] == f"merchants-{tail(env)}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_drift_role_can_read_every_kind_of_resource_the_layers_declare(env):
    """Every pulumi-aws module in the environment's plan has its refresh reads granted: a layer that
    starts using a new service fails here until the drift role can read it."""
    modules = {
        resource["type"].split(":")[1].split("/")[0]
        for layer in planned_environment(env)["layers"]
        for resource in layer["resources"]
        if resource["type"].startswith("aws:")
    }
    assert modules - set(REFRESH_READS) == set()
    granted = {a for _, a in actions(document(policy_named(planned(env), "drift-policy")))}
    for module in modules:
        assert set(REFRESH_READS[module]) <= granted, module


# --- the boundary --------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_boundary_denies_unbounded_roles_changes_to_the_account_roles_and_other_regions(env):
    run = planned(env)
    region = config_of(env)["platform:region"]
    boundary = document(policy_named(run, "deploy-boundary"))
    unbounded = statement(boundary, "DenyRolesWithoutTheBoundary")
    assert unbounded["Effect"] == "Deny"
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(unbounded["Action"])
    assert unbounded["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn(env)}}
    roles = statement(boundary, "DenyChangingTheAccountRoles")
    assert roles["Effect"] == "Deny"
    assert roles["Resource"] == [role_arn(env, t) for t in ROLE_TYPES]
    assert {"iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary"} <= set(
        roles["Action"]
    )
    policies = statement(boundary, "DenyChangingTheBoundaryAndRolePolicies")
    names = {r["inputs"]["name"] for r in resources(run, "aws:iam/policy:Policy")}
    assert {p.rsplit("/", 1)[1] for p in policies["Resource"]} == names
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} <= set(policies["Action"])
    regions = statement(boundary, "DenyLeavingTheRegions")
    assert regions["Effect"] == "Deny" and regions["NotAction"] == list(GLOBAL_ACTIONS)
    assert regions["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": [region]}}
    identities = statement(boundary, "DenyUsersKeysAndIdentityProviders")
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:*OpenIDConnectProvider*", "iam:*SAMLProvider"} <= set(
        identities["Action"]
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_policies_fit_a_managed_policy(env):
    run = planned(env)
    for record in resources(run, "aws:iam/policy:Policy"):
        text = "".join(record["inputs"]["policy"].split())
        assert len(text) < MANAGED_POLICY_LIMIT, record["inputs"]["name"]


def test_additional_regions_widen_the_region_conditions():
    run = plan("prod", {"accounts:additionalRegions": json.dumps(["us-west-2"])})
    boundary = document(policy_named(run, "deploy-boundary"))
    regions = statement(boundary, "DenyLeavingTheRegions")["Condition"]["StringNotEquals"]["aws:RequestedRegion"]
    assert regions == ["eu-west-1", "us-west-2"]
    drift = statement(document(policy_named(run, "drift-policy")), "ReadLayerResourcesInRegion")
    assert drift["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["eu-west-1", "us-west-2"]


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


# --- refusals before any resource ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "why"),
    [
        ("arn:aws:iam::111122223333:root", "neither one IAM role or user ARN"),
        ("*", "neither one IAM role or user ARN"),
        ("arn:aws:sts::111122223333:assumed-role/ci/session", "neither one IAM role or user ARN"),
        ("arn:aws:iam::1111:role/ci", "neither one IAM role or user ARN"),
        ("arn:aws:iam::123456789012:role/deploy-role-dev-d01", "the deploy role itself"),
    ],
)
def test_a_bad_human_principal_is_refused_before_any_resource(principal, why, declared):
    people = {"principalArns": [principal], "requireMfa": True}
    with pytest.raises(PlatformConfigError, match="accounts:humanDeployers") as raised:
        plan("dev", {"accounts:humanDeployers": json.dumps(people)})
    assert why in str(raised.value)
    assert not [d for d in declared if d.startswith(("aws:", "pulumi:providers"))]


@pytest.mark.parametrize(
    ("people", "why"),
    [
        ({"principalArns": ["arn:aws:iam::111122223333:user/alice"]}, "need a condition: requireMfa"),
        ({"principalArns": [f"arn:aws:iam::{ACCOUNT}:saml-provider/idp"], "requireMfa": True}, "SAML providers need"),
    ],
)
def test_people_without_a_condition_are_refused(people, why, declared):
    with pytest.raises(PlatformConfigError, match="accounts:humanDeployers") as raised:
        plan("dev", {"accounts:humanDeployers": json.dumps(people)})
    assert why in str(raised.value)
    assert not [d for d in declared if d.startswith("aws:")]


@pytest.mark.parametrize("repository", ["payments-platform", "org/repo:ref:refs/heads/*", "org/*", "a b/c"])
def test_a_repository_that_is_not_owner_slash_name_is_refused(repository, declared):
    github = {"repository": repository, "ownsOidcProvider": True}
    with pytest.raises(PlatformConfigError, match=r"accounts:github\.repository"):
        plan("dev", {"accounts:github": json.dumps(github)})
    assert not [d for d in declared if d.startswith("aws:")]


def test_an_immutable_repository_subject_is_accepted():
    github = {"repository": "example-payments@1234567/payments-platform@89012345", "ownsOidcProvider": True}
    trust = document(role(plan("dev", {"accounts:github": json.dumps(github)}), "ci-deploy-role"), "assumeRolePolicy")
    subject = trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert subject == "repo:example-payments@1234567/payments-platform@89012345:environment:dev"


def test_two_environments_creating_the_oidc_provider_of_one_account_are_refused(declared):
    github = {"repository": "example-payments/payments-platform", "ownsOidcProvider": True}
    with pytest.raises(PlatformConfigError, match=r"accounts:github\.ownsOidcProvider") as raised:
        plan("staging", {"accounts:github": json.dumps(github)})
    assert "this stack (staging) and dev both create" in str(raised.value)
    assert not [d for d in declared if d.startswith("aws:")]


def test_an_account_without_its_oidc_provider_is_refused():
    github = {"repository": "example-payments/payments-platform", "ownsOidcProvider": False}
    with pytest.raises(PlatformConfigError, match="no environment creates the GitHub OIDC provider"):
        plan("dev", {"accounts:github": json.dumps(github)})


def test_a_deploy_role_arn_naming_another_role_is_refused(declared):
    wrong = f"arn:aws:iam::{ACCOUNT}:role/some-other-role"
    with pytest.raises(PlatformConfigError, match="platform:deployRoleArn"):
        plan("dev", {"platform:deployRoleArn": wrong})
    assert not [d for d in declared if d.startswith("aws:")]


def test_the_provider_of_accounts_never_assumes_a_role_it_creates():
    run = plan("dev", {"platform:deployRoleArn": role_arn("dev", "deploy-role")})
    provider = one(run, "pulumi:providers:aws")
    assert not provider["inputs"].get("assumeRoles")


# --- the layers' provider: deploy role by default, drift role for drift checks --------------------


def assumed(run: LayerRun) -> dict[str, Any]:
    provider = one(run, "pulumi:providers:aws")
    (only,) = json.loads(provider["inputs"]["assumeRoles"])
    return only


def test_the_layers_assume_the_deploy_role_unless_the_run_asks_for_the_drift_role(monkeypatch):
    overrides = {"platform:deployRoleArn": role_arn("dev", "deploy-role")}
    monkeypatch.delenv(ROLE_CHOICE_VARIABLE, raising=False)
    deploying = assumed(run_layer("networking", "dev", overrides))
    assert deploying["roleArn"] == role_arn("dev", "deploy-role")
    monkeypatch.setenv(ROLE_CHOICE_VARIABLE, "drift")
    checking = assumed(run_layer("networking", "dev", overrides))
    assert checking["roleArn"] == role_arn("dev", "drift-role")
    assert checking["tags"] == deploying["tags"]


def test_an_unknown_role_choice_is_refused(monkeypatch, declared):
    monkeypatch.setenv(ROLE_CHOICE_VARIABLE, "admin")
    with pytest.raises(
        PlatformConfigError, match="PLATFORM_AWS_ROLE='admin' is not a role of accounts/; allowed: deploy, drift"
    ):
        run_layer("networking", "dev", {"platform:deployRoleArn": role_arn("dev", "deploy-role")})
    assert not [d for d in declared if d.startswith("aws:")]


@pytest.mark.parametrize("layer", ["data", "application"])
def test_layer_roles_carry_the_boundary_when_deploying_through_the_role(layer):
    run = run_layer(layer, "dev", {"platform:deployRoleArn": role_arn("dev", "deploy-role")})
    roles = resources(run, "aws:iam/role:Role")
    assert roles
    for layer_role in roles:
        assert layer_role["inputs"].get("permissionsBoundary") == boundary_arn("dev"), layer_role["urn"]
        assert layer_role["inputs"]["name"].endswith("-dev-d01")


def test_layer_roles_carry_no_boundary_without_a_deploy_role():
    run = run_layer("data", "dev")
    assert all("permissionsBoundary" not in r["inputs"] for r in resources(run, "aws:iam/role:Role"))

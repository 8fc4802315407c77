"""Invalid stack configurations: each fails before any resource exists, with a message that names
the key and what is allowed."""

import json
from pathlib import Path

import pytest

from networking.settings import NetworkingSettings
from shared.config import PlatformConfigError, check_across_environments, parse_stack_config
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_stack_file
from tests.support import NO_SUCH_ENVIRONMENT, planned, run_layer

# How pydantic lists the allowed values of the Environment literal: 'dev', 'staging' or 'prod'.
ALLOWED_ENVIRONMENTS = f"{', '.join(map(repr, ENVIRONMENTS[:-1]))} or {ENVIRONMENTS[-1]!r}"

# (case id, overrides, keys to drop, expected fragments of the message)
CASES: list[tuple[str, dict[str, str], tuple[str, ...], tuple[str, ...]]] = [
    ("unknown-environment", {"platform:environment": NO_SUCH_ENVIRONMENT}, (), ("platform:environment", ALLOWED_ENVIRONMENTS)),
    ("environment-uppercase", {"platform:environment": "Prod"}, (), ("platform:environment", ALLOWED_ENVIRONMENTS)),
    ("bad-region", {"platform:region": "mars-north-1"}, (), ("platform:region", "'us-east-1'", "mars-north-1")),
    ("aws-region-key", {"aws:region": "us-east-1"}, (), ("aws:region", "allowed namespaces: platform, networking")),
    ("suffix-too-long", {"platform:environmentSuffix": "abcdefghij"}, (), ("platform:environmentSuffix", "1-8", "32")),
    ("suffix-uppercase", {"platform:environmentSuffix": "P01"}, (), ("platform:environmentSuffix", "lowercase")),
    ("suffix-empty", {"platform:environmentSuffix": ""}, (), ("platform:environmentSuffix", "1-8")),
    ("suffix-with-hyphen", {"platform:environmentSuffix": "p-01"}, (), ("platform:environmentSuffix", "letters or digits")),
    ("missing-environment", {}, ("platform:environment",), ("platform:environment: missing",)),
    ("missing-region", {}, ("platform:region",), ("platform:region: missing",)),
    ("missing-suffix", {}, ("platform:environmentSuffix",), ("platform:environmentSuffix: missing",)),
    ("missing-account-guard", {}, ("platform:allowedAccountIds",), ("platform:allowedAccountIds: missing",)),
    ("missing-vpc-cidr", {}, ("networking:vpcCidr",), ("networking:vpcCidr: missing",)),
    ("missing-az-count", {}, ("networking:availabilityZones",), ("networking:availabilityZones: missing",)),
    ("missing-nat-strategy", {}, ("networking:natStrategy",), ("networking:natStrategy: missing",)),
    ("az-count-too-small", {"networking:availabilityZones": "1"}, (), ("networking:availabilityZones", "greater than or equal to 2")),
    ("az-count-too-large", {"networking:availabilityZones": "7"}, (), ("networking:availabilityZones", "less than or equal to 4")),
    ("az-count-above-region", {"networking:availabilityZones": "4"}, (), ("networking:availabilityZones: 4 is more than the 3 zones us-east-2",)),
    ("az-count-not-a-number", {"networking:availabilityZones": "three"}, (), ("networking:availabilityZones", "valid integer")),
    ("bad-nat-strategy", {"networking:natStrategy": "some"}, (), ("networking:natStrategy", "'none', 'single' or 'per_az'")),
    ("nat-strategy-wrong-case", {"networking:natStrategy": "PER_AZ"}, (), ("networking:natStrategy", "'per_az'")),
    ("cidr-too-large", {"networking:vpcCidr": "10.0.0.0/8"}, (), ("networking:vpcCidr", "between a /16 and a /20")),
    ("cidr-too-small", {"networking:vpcCidr": "10.0.0.0/24"}, (), ("networking:vpcCidr", "between a /16 and a /20")),
    ("cidr-public-range", {"networking:vpcCidr": "8.8.0.0/16"}, (), ("networking:vpcCidr", "private (RFC 1918)")),
    ("cidr-garbage", {"networking:vpcCidr": "ten-dot-oh"}, (), ("networking:vpcCidr", "IPv4")),
    ("cidr-host-bits-set", {"networking:vpcCidr": "10.0.0.1/16"}, (), ("networking:vpcCidr", "not a valid IPv4 network", "10.0.0.1/16")),
    ("log-retention-not-allowed", {"platform:logRetentionDays": "31"}, (), ("platform:logRetentionDays", "allowed: 1, 3, 5")),
    ("log-retention-text", {"platform:logRetentionDays": "forever"}, (), ("platform:logRetentionDays", "valid integer")),
    ("account-id-short", {"platform:allowedAccountIds": '["1234"]'}, (), ("platform:allowedAccountIds.0", "12-digit")),
    ("account-ids-empty", {"platform:allowedAccountIds": "[]"}, (), ("platform:allowedAccountIds", "at least 1")),
    ("account-ids-not-a-list", {"platform:allowedAccountIds": "123456789012"}, (), ("platform:allowedAccountIds", "valid list")),
    ("deploy-role-not-a-role", {"platform:deployRoleArn": "arn:aws:iam::123456789012:user/ci"}, (), ("platform:deployRoleArn", "IAM role ARN")),
    ("deploy-role-other-account", {"platform:deployRoleArn": "arn:aws:iam::210987654321:role/deploy"}, (), ("platform:deployRoleArn: 'arn:aws:iam::210987654321:role/deploy' is in account 210987654321", "platform:allowedAccountIds (123456789012)")),
    ("migration-date-garbage", {"platform:migrationDate": "yesterday"}, (), ("platform:migrationDate", "valid date")),
    ("cost-center-empty", {"platform:costCenter": ""}, (), ("platform:costCenter", "should match pattern")),
    ("application-with-spaces", {"platform:application": "Payments App"}, (), ("platform:application", "should match pattern")),
    ("localstack-not-http", {"platform:localstackEndpoint": "ftp://localhost:4566"}, (), ("platform:localstackEndpoint",)),
    ("stack-org-with-spaces", {"platform:stackOrg": "my org"}, (), ("platform:stackOrg",)),
    ("typo-in-layer-key", {"networking:vpcCidrs": "10.0.0.0/16"}, (), ("networking:vpcCidrs: unknown key", "availabilityZones, natStrategy, peering, vpcCidr")),
    ("typo-in-platform-key", {"platform:regoin": "us-east-1"}, (), ("platform:regoin: unknown key", "region")),
    ("other-layers-namespace", {"data:dbInstanceClass": "db.t3.medium"}, (), ("data:dbInstanceClass", "not read by this layer")),
    ("peering-without-peer", {"networking:peering": '{"enabled": true}'}, (), ("networking:peering.peerEnvironment: required when enabled is true",)),
    ("peering-bad-role", {"networking:peering": '{"enabled": true, "role": "both", "peerEnvironment": "prod"}'}, (), ("networking:peering.role", "'requester' or 'accepter'")),
    ("peering-unknown-env", {"networking:peering": json.dumps({"enabled": True, "peerEnvironment": NO_SUCH_ENVIRONMENT})}, (), ("networking:peering.peerEnvironment",)),
    ("peering-unknown-field", {"networking:peering": '{"enabled": true, "peerEnv": "prod"}'}, (), ("networking:peering.peerEnv: unknown key",)),
]  # fmt: skip


def base_config(layer: str, env: str) -> dict[str, object]:
    return read_stack_file(REPO / layer / f"Pulumi.{env}.yaml")


@pytest.mark.parametrize(("case", "overrides", "drop", "expected"), CASES, ids=[c[0] for c in CASES])
def test_invalid_config_is_refused_with_a_clear_message(case, overrides, drop, expected):
    raw = {k: v for k, v in {**base_config("networking", "staging"), **overrides}.items() if k not in drop}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "networking", NetworkingSettings, "networking/Pulumi.staging.yaml")
    message = str(error.value)
    assert message.startswith("Invalid stack configuration in networking/Pulumi.staging.yaml")
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in:\n{message}"
    assert "Traceback" not in message


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


def test_every_problem_is_reported_at_once():
    raw = {
        **base_config("networking", "prod"),
        "platform:region": "mars-1",
        "networking:natStrategy": "some",
        "networking:availabilityZones": "9",
        "platform:typo": "x",
    }
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "networking", NetworkingSettings, "networking/Pulumi.prod.yaml")
    message = str(error.value)
    assert "(4 problem(s))" in message
    for key in ("platform:region", "networking:natStrategy", "networking:availabilityZones", "platform:typo"):
        assert key in message


def write_stack(directory: Path, env: str, cidr: str) -> None:
    text = (REPO / "networking" / f"Pulumi.{env}.yaml").read_text()
    (directory / f"Pulumi.{env}.yaml").write_text(
        text.replace(str(base_config("networking", env)["networking:vpcCidr"]), cidr)
    )


def test_overlapping_cidrs_across_environments_are_refused(tmp_path):
    write_stack(tmp_path, "dev", "10.0.0.0/16")
    write_stack(tmp_path, "staging", "10.0.128.0/17")
    raw = {**base_config("networking", "dev")}
    config = parse_stack_config(raw, "networking", NetworkingSettings, "networking/Pulumi.dev.yaml")
    with pytest.raises(PlatformConfigError, match=r"10.0.0.0/16 overlaps 10.0.128.0/17 in Pulumi.staging.yaml"):
        check_across_environments(config, "networking", NetworkingSettings, tmp_path, "networking/Pulumi.dev.yaml")


def test_the_repositorys_environments_pass_the_cross_environment_check():
    for env in ENVIRONMENTS:
        raw = base_config("networking", env)
        config = parse_stack_config(raw, "networking", NetworkingSettings, f"networking/Pulumi.{env}.yaml")
        stack_file = f"networking/Pulumi.{env}.yaml"
        check_across_environments(config, "networking", NetworkingSettings, REPO / "networking", stack_file)


def test_peering_with_itself_is_refused():
    raw = {**base_config("networking", "prod"), "networking:peering": '{"enabled": true, "peerEnvironment": "prod"}'}
    with pytest.raises(
        PlatformConfigError, match=r"networking:peering\.peerEnvironment: 'prod' cannot peer with itself"
    ):
        parse_stack_config(raw, "networking", NetworkingSettings, "networking/Pulumi.prod.yaml")


@pytest.mark.parametrize("layer", ["networking", "data", "application", "observability"])
def test_bad_config_stops_every_layer_before_any_resource_is_declared(layer, declared):
    planned("dev")  # the layers below, planned from their valid stack files
    declared.clear()
    with pytest.raises(PlatformConfigError, match="platform:region"):
        run_layer(layer, "dev", {"platform:region": "mars-1"})
    assert [n for n in declared if not n.startswith("pulumi:pulumi:Stack")] == []


def test_stack_must_be_named_after_its_environment(declared):
    with pytest.raises(PlatformConfigError, match="a stack must be named after its environment"):
        run_layer("networking", "dev", {"platform:environment": "staging"})
    assert [n for n in declared if not n.startswith("pulumi:pulumi:Stack")] == []


def test_unknown_nested_key_lists_the_nested_models_keys():
    raw = {**base_config("networking", "prod"), "networking:peering": '{"enabled": false, "peerEnv": "staging"}'}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "networking", NetworkingSettings, "networking/Pulumi.prod.yaml")
    assert "networking:peering.peerEnv: unknown key; allowed keys here: enabled, peerEnvironment, role" in str(
        error.value
    )


def test_secret_values_are_never_echoed_in_errors():
    raw = {**base_config("networking", "prod"), "networking:availabilityZones": "hunter2-secret"}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(
            raw, "networking", NetworkingSettings, "networking/Pulumi.prod.yaml", {"networking:availabilityZones"}
        )
    assert "hunter2" not in str(error.value)
    assert "networking:availabilityZones" in str(error.value) and "value hidden" in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"networking:vpcCidr": "10.1.0.0/16"}, "overlaps 10.1.0.0/16 in Pulumi.staging.yaml"),
        ({"networking:availabilityZones": "4", "platform:region": "eu-west-1"}, "more than the 3 zones eu-west-1"),
    ],
    ids=["cidr-overlap", "zones-above-region"],
)
def test_rules_across_namespaces_and_environments_run_before_the_provider_exists(overrides, expected, declared):
    """Even the checks that compare with other stack files or with the region stop before the provider."""
    with pytest.raises(PlatformConfigError, match=expected):
        run_layer("networking", "dev", overrides)
    assert [n for n in declared if not n.startswith("pulumi:pulumi:Stack")] == []

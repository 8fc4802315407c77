"""Invalid `data:` configuration: refused before any resource exists, with a message that names
the key and what is allowed; every problem at once."""

import json
from pathlib import Path

import pytest
import yaml

from data.settings import DataSettings
from shared.config import PlatformConfigError, check_across_environments, parse_stack_config
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_stack_file
from tests.support import planned, run_layer


def aurora(low: object, high: object) -> str:
    return json.dumps({"minCapacity": low, "maxCapacity": high})


def dr(enabled: bool, region: str) -> str:
    return json.dumps({"enabled": enabled, "region": region})


# (case id, environment, overrides, keys to drop, expected fragments of the message)
CASES: list[tuple[str, str, dict[str, str], tuple[str, ...], tuple[str, ...]]] = [
    (
        "unknown-instance-family",
        "staging",
        {"data:instanceClass": "db.x9.large"},
        (),
        ("data:instanceClass", "unknown instance class family 'db.x9'", "allowed families: db.t3, db.t4g"),
    ),
    (
        "instance-class-not-rds",
        "staging",
        {"data:instanceClass": "r5.large"},
        (),
        ("data:instanceClass", "not an RDS instance class", "db.<family>.<size>"),
    ),
    (
        "instance-size-too-small",
        "staging",
        {"data:instanceClass": "db.t3.micro"},
        (),
        ("data:instanceClass", "size 'micro' is not allowed", "medium, large"),
    ),
    (
        "retention-zero",
        "staging",
        {"data:backupRetentionDays": "0"},
        (),
        ("data:backupRetentionDays", "greater than or equal to 1"),
    ),
    (
        "retention-36",
        "prod",
        {"data:backupRetentionDays": "36"},
        (),
        ("data:backupRetentionDays", "less than or equal to 35"),
    ),
    (
        "retention-text",
        "dev",
        {"data:backupRetentionDays": "a week"},
        (),
        ("data:backupRetentionDays", "valid integer"),
    ),
    (
        "aurora-min-below-range",
        "staging",
        {"data:aurora": aurora(0.25, 4)},
        (),
        ("data:aurora.minCapacity", "0.5 to 256 in steps of 0.5"),
    ),
    (
        "aurora-max-above-range",
        "staging",
        {"data:aurora": aurora(1, 512)},
        (),
        ("data:aurora.maxCapacity", "0.5 to 256"),
    ),
    (
        "aurora-not-half-steps",
        "staging",
        {"data:aurora": aurora(1.3, 4)},
        (),
        ("data:aurora.minCapacity", "steps of 0.5"),
    ),
    (
        "aurora-min-above-max",
        "prod",
        {"data:aurora": aurora(8, 4)},
        (),
        ("data:aurora", "minCapacity 8 is above maxCapacity 4"),
    ),
    (
        "aurora-missing-max",
        "dev",
        {"data:aurora": json.dumps({"minCapacity": 1})},
        (),
        ("data:aurora.maxCapacity: missing",),
    ),
    (
        "aurora-unknown-key",
        "dev",
        {"data:aurora": json.dumps({"minCapacity": 1, "maxCapacity": 2, "max": 3})},
        (),
        ("data:aurora.max: unknown key", "maxCapacity, minCapacity"),
    ),
    (
        "dr-region-is-primary",
        "prod",
        {"data:dr": dr(True, "eu-west-1")},
        (),
        ("data:dr.region", "'eu-west-1' is the primary region"),
    ),
    ("dr-region-unknown", "prod", {"data:dr": dr(True, "mars-north-1")}, (), ("data:dr.region", "'us-west-2'")),
    (
        "dr-with-aurora",
        "prod",
        {"data:dr": dr(True, "us-west-2"), "data:engine": "aurora-postgresql"},
        (),
        ("data:dr: enabled", "RDS instances only", "aurora-postgresql"),
    ),
    (
        "engine-version-13",
        "staging",
        {"data:engineVersion": "13.7"},
        (),
        ("data:engineVersion", "not PostgreSQL 14", "'14.<minor>'"),
    ),
    (
        "engine-version-wildcard",
        "staging",
        {"data:engineVersion": "14.x"},
        (),
        ("data:engineVersion", "not PostgreSQL 14"),
    ),
    ("engine-version-15", "staging", {"data:engineVersion": "15"}, (), ("data:engineVersion", "'14' (newest 14.x")),
    ("engine-unknown", "staging", {"data:engine": "mysql"}, (), ("data:engine", "'postgres' or 'aurora-postgresql'")),
    ("multi-az-not-bool", "staging", {"data:multiAz": "maybe"}, (), ("data:multiAz", "valid boolean")),
    (
        "pitr-not-bool",
        "staging",
        {"data:pointInTimeRecovery": "sometimes"},
        (),
        ("data:pointInTimeRecovery", "valid boolean"),
    ),
    ("missing-instance-class", "staging", {}, ("data:instanceClass",), ("data:instanceClass: missing",)),
    ("missing-protect-flag", "prod", {}, ("data:protectDataStores",), ("data:protectDataStores: missing",)),
    ("missing-pitr", "dev", {}, ("data:pointInTimeRecovery",), ("data:pointInTimeRecovery: missing",)),
    ("missing-audit-expiration", "dev", {}, ("data:auditExpirationDays",), ("data:auditExpirationDays: missing",)),
    (
        "expiry-before-tiering",
        "staging",
        {"data:auditTransitionDays": "120", "data:auditExpirationDays": "100"},
        (),
        ("data:auditExpirationDays: 100 must be greater than auditTransitionDays (120)",),
    ),
    (
        "audit-records-shorter-than-90-days",
        "dev",
        {"data:auditExpirationDays": "30"},
        (),
        ("data:auditExpirationDays: Input should be greater than or equal to 90",),
    ),
    (
        "prod-alb-logs-shorter-than-pci",
        "prod",
        {"data:albLogExpirationDays": "90"},
        (),
        ("data:albLogExpirationDays", "at least 365 days (PCI DSS 10.5.1)"),
    ),
    (
        "missing-enhanced-monitoring-owner",
        "dev",
        {},
        ("data:ownsEnhancedMonitoringLogGroup",),
        ("data:ownsEnhancedMonitoringLogGroup: missing",),
    ),
    (
        "prod-audit-shorter-than-pci",
        "prod",
        {"data:auditExpirationDays": "90"},
        (),
        ("data:auditExpirationDays", "at least 365 days (PCI DSS 10.5.1)"),
    ),
    (
        "pi-retention-not-allowed",
        "dev",
        {"data:performanceInsightsRetentionDays": "10"},
        (),
        ("data:performanceInsightsRetentionDays", "7, 731 or a multiple of 31"),
    ),
    ("backup-window-garbage", "dev", {"data:backupWindow": "3am"}, (), ("data:backupWindow", "should match pattern")),
    (
        "maintenance-window-garbage",
        "dev",
        {"data:maintenanceWindow": "sunday"},
        (),
        ("data:maintenanceWindow", "should match pattern"),
    ),
    (
        "storage-cap-below-size",
        "dev",
        {"data:maxAllocatedStorageGb": "20", "data:allocatedStorageGb": "50"},
        (),
        ("data:maxAllocatedStorageGb: 20 must be at least allocatedStorageGb (50)",),
    ),
    (
        "storage-too-small",
        "dev",
        {"data:allocatedStorageGb": "5"},
        (),
        ("data:allocatedStorageGb", "greater than or equal to 20"),
    ),
    (
        "rotation-zero",
        "dev",
        {"data:secretRotationDays": "0"},
        (),
        ("data:secretRotationDays", "greater than or equal to 1"),
    ),
    (
        "database-name-invalid",
        "dev",
        {"data:databaseName": "Payments-DB"},
        (),
        ("data:databaseName", "should match pattern"),
    ),
    (
        "typo-in-key",
        "dev",
        {"data:instanceClas": "db.t3.medium"},
        (),
        ("data:instanceClas: unknown key", "instanceClass", "backupRetentionDays"),
    ),
    (
        "dr-unknown-key",
        "dev",
        {"data:dr": json.dumps({"enabled": True, "regoin": "us-west-2"})},
        (),
        ("data:dr.regoin: unknown key", "enabled, region"),
    ),
]


def base_config(env: str) -> dict[str, object]:
    return read_stack_file(REPO / "data" / f"Pulumi.{env}.yaml")


@pytest.mark.parametrize(("case", "env", "overrides", "drop", "expected"), CASES, ids=[c[0] for c in CASES])
def test_invalid_data_config_is_refused_with_a_clear_message(case, env, overrides, drop, expected):
    raw = {k: v for k, v in {**base_config(env), **overrides}.items() if k not in drop}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "data", DataSettings, f"data/Pulumi.{env}.yaml")
    message = str(error.value)
    assert message.startswith(f"Invalid stack configuration in data/Pulumi.{env}.yaml")
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in:\n{message}"
    assert "Traceback" not in message


def test_corpus_covers_every_rule_and_is_large():
    ids = {c[0] for c in CASES}
    assert {"unknown-instance-family", "retention-zero", "retention-36", "aurora-min-below-range"} <= ids
    assert {"aurora-min-above-max", "dr-region-is-primary", "engine-version-13"} <= ids
    assert len(CASES) >= 30


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_repositorys_stack_files_are_valid(env):
    config = parse_stack_config(base_config(env), "data", DataSettings, f"data/Pulumi.{env}.yaml")
    assert isinstance(config.layer, DataSettings)
    assert config.layer.dr.enabled is False


def test_every_problem_is_reported_at_once_including_cross_namespace_rules():
    raw = {
        **base_config("prod"),
        "data:instanceClass": "db.x9.large",
        "data:backupRetentionDays": "40",
        "data:aurora": aurora(8, 4),
        "data:dr": dr(True, "eu-west-1"),
        "data:auditExpirationDays": "120",
    }
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "data", DataSettings, "data/Pulumi.prod.yaml")
    message = str(error.value)
    assert "(5 problem(s))" in message, message
    for key in ("data:instanceClass", "data:backupRetentionDays", "data:aurora", "data:dr.region", "PCI DSS"):
        assert key in message


def test_secret_values_are_not_echoed():
    raw = {**base_config("dev"), "data:backupRetentionDays": "hunter2"}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "data", DataSettings, "data/Pulumi.dev.yaml", {"data:backupRetentionDays"})
    assert "hunter2" not in str(error.value) and "data:backupRetentionDays" in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"data:instanceClass": "db.x9.large"}, "data:instanceClass"),
        ({"data:dr": dr(True, "us-east-1")}, "data:dr.region"),  # dev's primary region
        ({"data:aurora": aurora(4, 2)}, "data:aurora"),
    ],
    ids=["model-rule", "cross-namespace-rule", "nested-model-rule"],
)
def test_bad_data_config_stops_the_run_before_the_provider_or_any_resource(declared, overrides, key):
    planned("dev")  # networking, planned from its valid stack file
    declared.clear()
    with pytest.raises(PlatformConfigError, match=key):
        run_layer("data", "dev", overrides)
    assert declared == ["pulumi:pulumi:Stack::payments-data-dev"]


def test_a_valid_run_declares_resources_so_the_fixture_can_see_them(declared):
    run_layer("data", "dev")
    assert "pulumi:providers:aws::aws" in declared
    assert any(n.startswith("aws:rds/instance:Instance::") for n in declared)


def _data_stacks(directory: Path, changes: dict[str, dict[str, object]]) -> None:
    for env in ENVIRONMENTS:
        document = yaml.safe_load((REPO / "data" / f"Pulumi.{env}.yaml").read_text())
        document["config"].update(changes.get(env, {}))
        (directory / f"Pulumi.{env}.yaml").write_text(yaml.safe_dump(document))


def _check_data(directory: Path, env: str) -> None:
    stack_file = f"data/Pulumi.{env}.yaml"
    config = parse_stack_config(read_stack_file(directory / f"Pulumi.{env}.yaml"), "data", DataSettings, stack_file)
    check_across_environments(config, "data", DataSettings, directory, stack_file)


def test_two_environments_declaring_rds_os_metrics_in_one_account_and_region_are_refused(tmp_path):
    """RDSOSMetrics exists once per account and region: a second stack declaring it would fail to create it."""
    first, second, *rest = ENVIRONMENTS
    region = str(base_config(first)["platform:region"])
    _data_stacks(tmp_path, {second: {"platform:region": region}})
    for env in (first, second):
        with pytest.raises(PlatformConfigError, match=rf"both own the RDSOSMetrics log group of .* in {region}"):
            _check_data(tmp_path, env)
    for env in rest:
        _check_data(tmp_path, env)


def test_no_environment_declaring_rds_os_metrics_is_refused(tmp_path):
    first, *_ = ENVIRONMENTS
    _data_stacks(tmp_path, {first: {"data:ownsEnhancedMonitoringLogGroup": False}})
    with pytest.raises(PlatformConfigError, match=r"no environment owns the RDSOSMetrics log group .* unencrypted"):
        _check_data(tmp_path, first)


def test_the_repositorys_environments_each_declare_their_regions_rds_os_metrics():
    for env in ENVIRONMENTS:
        _check_data(REPO / "data", env)

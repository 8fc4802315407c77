"""Invalid `application:` configuration: refused before any resource exists, with a message that
names the key and what is allowed; rules across environments included."""

import json
import shutil
from pathlib import Path

import pytest

from application.settings import ApplicationSettings
from shared.config import PlatformConfigError, check_across_environments, parse_stack_config
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_layer_config
from tests.support import planned, run_layer


def timeouts(**values: int) -> str:
    return json.dumps(values)


# (case id, environment, overrides, keys to drop, expected fragments of the message)
CASES: list[tuple[str, str, dict[str, str], tuple[str, ...], tuple[str, ...]]] = [
    ("worker-concurrency-1", "dev", {"application:workerReservedConcurrency": "1"}, (),
     ("application:workerReservedConcurrency: 1 cannot work", "at least 2")),
    ("worker-concurrency-0", "dev", {"application:workerReservedConcurrency": "0"}, (),
     ("application:workerReservedConcurrency: 0 cannot work",)),
    ("queue-concurrency-1", "dev", {"application:queueMaximumConcurrency": "1"}, (),
     ("application:queueMaximumConcurrency", "greater than or equal to 2")),
    ("queue-concurrency-above-worker", "staging", {"application:queueMaximumConcurrency": "6"}, (),
     ("application:queueMaximumConcurrency: 6 is above workerReservedConcurrency 5", "at most 5")),
    ("queue-concurrency-above-1000", "prod", {"application:queueMaximumConcurrency": "1001"}, (),
     ("application:queueMaximumConcurrency", "less than or equal to 1000")),
    ("visibility-below-6x-timeout", "staging", {"application:visibilityTimeoutSeconds": "179"}, (),
     ("application:visibilityTimeoutSeconds: 179 is below 6 x timeouts.settlementWorker (30 s) = 180",)),
    ("visibility-below-6x-longer-timeout", "prod",
     {"application:timeouts": timeouts(settlementWorker=60), "application:visibilityTimeoutSeconds": "300"}, (),
     ("application:visibilityTimeoutSeconds: 300 is below 6 x timeouts.settlementWorker (60 s) = 360",)),
    ("api-timeout-above-gateway", "dev", {"application:timeouts": timeouts(processPayment=30)}, (),
     ("application:timeouts.processPayment", "less than or equal to 29")),
    ("worker-timeout-above-15-minutes", "dev", {"application:timeouts": timeouts(settlementWorker=901)}, (),
     ("application:timeouts.settlementWorker", "less than or equal to 900")),
    ("timeouts-unknown-function", "dev", {"application:timeouts": timeouts(settlement=30)}, (),
     ("application:timeouts.settlement: unknown key", "migrateLedger, processPayment")),
    ("memory-too-small", "dev", {"application:memoryMb": "64"}, (),
     ("application:memoryMb", "greater than or equal to 128")),
    ("memory-too-large", "prod", {"application:memoryMb": "20480"}, (),
     ("application:memoryMb", "less than or equal to 10240")),
    ("memory-not-a-number", "dev", {"application:memoryMb": "lots"}, (), ("application:memoryMb", "valid integer")),
    ("api-concurrency-0", "dev", {"application:apiReservedConcurrency": "0"}, (),
     ("application:apiReservedConcurrency", "greater than or equal to 1")),
    ("max-receive-count-0", "dev", {"application:maxReceiveCount": "0"}, (),
     ("application:maxReceiveCount", "greater than or equal to 1")),
    ("batch-above-10-without-window", "dev",
     {"application:batchSize": "100", "application:batchingWindowSeconds": "0"}, (),
     ("application:batchingWindowSeconds: 0 with batchSize 100: a batch above 10 messages needs at least 1",)),
    ("dlq-retention-below-queue", "dev", {"application:deadLetterRetentionSeconds": "3600"}, (),
     ("application:deadLetterRetentionSeconds: 3600 is below messageRetentionSeconds 345600",)),
    ("email-not-an-address", "dev", {"application:notificationEmails": '["payments at example"]'}, (),
     ("application:notificationEmails.0: 'payments at example' is not an email address",)),
    ("email-twice", "dev", {"application:notificationEmails": '["a@example.com", "a@example.com"]'}, (),
     ("application:notificationEmails: listed more than once: a@example.com",)),
    ("emails-not-a-list", "dev", {"application:notificationEmails": "a@example.com"}, (),
     ("application:notificationEmails", "valid list")),
    ("log-level-unknown", "dev", {"application:logLevel": "TRACE"}, (), ("application:logLevel", "'DEBUG'")),
    ("account-limit-below-100", "dev", {"application:accountConcurrencyLimit": "50"}, (),
     ("application:accountConcurrencyLimit", "greater than or equal to 101")),
    ("missing-memory", "staging", {}, ("application:memoryMb",), ("application:memoryMb: missing",)),
    ("missing-max-receive-count", "prod", {}, ("application:maxReceiveCount",),
     ("application:maxReceiveCount: missing",)),
    ("typo-in-key", "dev", {"application:memoryMB": "512"}, (),
     ("application:memoryMB: unknown key", "memoryMb")),
]  # fmt: skip


def base_config(env: str) -> dict[str, object]:
    return read_layer_config("application", env)


@pytest.mark.parametrize(("case", "env", "overrides", "drop", "expected"), CASES, ids=[c[0] for c in CASES])
def test_invalid_config_is_refused_with_a_clear_message(case, env, overrides, drop, expected):
    raw = {k: v for k, v in {**base_config(env), **overrides}.items() if k not in drop}
    stack_file = f"application/Pulumi.{env}.yaml"
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "application", ApplicationSettings, stack_file)
    message = str(error.value)
    assert message.startswith(f"Invalid stack configuration in {stack_file}")
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in:\n{message}"


def test_every_field_is_described():
    for model in (ApplicationSettings, *(f.annotation for f in ApplicationSettings.model_fields.values())):
        if isinstance(model, type) and hasattr(model, "model_fields"):
            assert [n for n, f in model.model_fields.items() if not f.description] == [], model


def write_stack(directory: Path, env: str, replacements: dict[str, str]) -> None:
    text = (REPO / "application" / f"Pulumi.{env}.yaml").read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    (directory / f"Pulumi.{env}.yaml").write_text(text)
    shutil.copy2(REPO / "application" / "Pulumi.yaml", directory / "Pulumi.yaml")


def check(directory: Path, env: str, overrides: dict[str, str] | None = None) -> None:
    raw = {**base_config(env), **(overrides or {})}
    stack_file = f"application/Pulumi.{env}.yaml"
    config = parse_stack_config(raw, "application", ApplicationSettings, stack_file)
    check_across_environments(config, "application", ApplicationSettings, directory, stack_file)


def test_the_repositorys_environments_pass_the_cross_environment_checks():
    for env in ENVIRONMENTS:
        check(REPO / "application", env)


def test_a_timeout_that_differs_between_environments_is_refused(tmp_path):
    for env in ENVIRONMENTS:
        write_stack(tmp_path, env, {})
    with pytest.raises(PlatformConfigError) as error:
        check(tmp_path, "prod", {"application:timeouts": timeouts(settlementWorker=20)})
    message = str(error.value)
    assert "application:timeouts:" in message and "in Pulumi.dev.yaml" in message and "Pulumi.staging.yaml" in message
    assert "timeouts must be identical in every environment" in message


def test_environments_sharing_an_account_and_region_declare_one_limit(tmp_path):
    write_stack(tmp_path, "dev", {})
    write_stack(
        tmp_path,
        "staging",
        {"us-east-2": "eu-west-1", "accountConcurrencyLimit: 1000": "accountConcurrencyLimit: 2000"},
    )
    write_stack(tmp_path, "prod", {})
    with pytest.raises(PlatformConfigError, match=r"1000 here but 2000 in Pulumi\.staging\.yaml"):
        check(tmp_path, "prod")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"application:workerReservedConcurrency": "1"}, "application:workerReservedConcurrency: 1 cannot work"),
        ({"application:visibilityTimeoutSeconds": "60"}, "application:visibilityTimeoutSeconds: 60 is below"),
        ({"application:timeouts": timeouts(verifyPayment=5)}, "timeouts must be identical in every environment"),
    ],
    ids=["worker-concurrency", "visibility", "timeouts-across-environments"],
)
def test_refused_before_any_resource_or_the_provider_exists(overrides, expected, declared):
    planned("prod")  # the layers below, planned from their valid stack files
    declared.clear()
    with pytest.raises(PlatformConfigError) as error:
        run_layer("application", "prod", overrides)
    assert expected in str(error.value)
    assert [n for n in declared if not n.startswith("pulumi:pulumi:Stack")] == []

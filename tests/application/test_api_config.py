"""Invalid API configuration is refused before any resource exists, naming the key and what is allowed."""

import json
import shutil
from pathlib import Path

import msgspec
import pytest
import yaml

from application.settings import ApplicationSettings
from payments.models import MerchantId
from shared.config import PlatformConfigError, check_across_environments, parse_stack_config
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_effective_config, read_layer_config, read_project_config, read_stack_file
from tests.support import planned, run_layer


def throttle(rate: object, burst: object) -> str:
    return json.dumps({"rateLimit": rate, "burstLimit": burst})


def quota(limit: object, period: object) -> str:
    return json.dumps({"limit": limit, "period": period})


# (case id, overrides, keys to drop, expected fragments of the message)
CASES: list[tuple[str, dict[str, str], tuple[str, ...], tuple[str, ...]]] = [
    ("merchant-uppercase", {"application:merchants": '["Merchant-1"]'}, (), ("application:merchants.0", "lowercase")),
    ("merchant-underscore", {"application:merchants": '["merchant_1"]'}, (), ("application:merchants.0", "inner hyphens")),
    ("merchant-too-short", {"application:merchants": '["ab"]'}, (), ("application:merchants.0", "payment functions accept")),
    ("merchant-too-long", {"application:merchants": json.dumps(["m" * 65])}, (), ("application:merchants.0", "payment functions accept")),
    ("merchant-with-space", {"application:merchants": '["acme corp"]'}, (), ("application:merchants.0",)),
    ("merchant-trailing-hyphen", {"application:merchants": '["acme-"]'}, (), ("application:merchants.0", "inner hyphens")),
    ("merchant-not-a-string", {"application:merchants": "[42]"}, (), ("application:merchants.0", "valid string")),
    ("merchants-duplicated", {"application:merchants": '["acme", "globex", "acme"]'}, (), ("application:merchants", "unique; repeated: acme")),
    ("merchants-none-anywhere", {"application:merchants": "[]"}, (), ("application:environmentMerchants", "no merchant at all")),
    ("environment-merchant-also-everywhere", {"application:environmentMerchants": '["merchant-002"]'}, (), ("application:environmentMerchants", "merchant-002 already in application:merchants", "list a merchant in one of the two")),
    ("environment-merchants-duplicated", {"application:environmentMerchants": '["pilot", "pilot"]'}, (), ("application:environmentMerchants", "unique; repeated: pilot")),
    ("environment-merchant-invalid", {"application:environmentMerchants": '["Pilot"]'}, (), ("application:environmentMerchants.0", "lowercase")),
    ("environment-merchants-missing", {}, ("application:environmentMerchants",), ("application:environmentMerchants: missing",)),
    ("merchants-not-a-list", {"application:merchants": "acme"}, (), ("application:merchants", "valid list")),
    ("merchants-missing", {}, ("application:merchants",), ("application:merchants: missing",)),
    ("burst-below-rate", {"application:apiThrottle": throttle(100, 50)}, (), ("application:apiThrottle.burstLimit: 50 is below rateLimit (100)",)),
    ("rate-zero", {"application:apiThrottle": throttle(0, 10)}, (), ("application:apiThrottle.rateLimit", "greater than or equal to 1")),
    ("rate-above-account-limit", {"application:apiThrottle": throttle(20000, 5000)}, (), ("application:apiThrottle.rateLimit", "less than or equal to 10000")),
    ("burst-above-account-limit", {"application:apiThrottle": throttle(100, 9000)}, (), ("application:apiThrottle.burstLimit", "less than or equal to 5000")),
    ("rate-text", {"application:apiThrottle": throttle("fast", 10)}, (), ("application:apiThrottle.rateLimit", "valid integer")),
    ("throttle-typo", {"application:apiThrottle": json.dumps({"rate": 10, "burstLimit": 20})}, (), ("application:apiThrottle.rate: unknown key", "burstLimit, rateLimit")),
    ("throttle-missing", {}, ("application:apiThrottle",), ("application:apiThrottle: missing",)),
    ("quota-zero", {"application:apiQuota": quota(0, "DAY")}, (), ("application:apiQuota.limit", "greater than or equal to 1")),
    ("quota-period-year", {"application:apiQuota": quota(1000, "YEAR")}, (), ("application:apiQuota.period", "'DAY', 'WEEK' or 'MONTH'")),
    ("quota-period-lowercase", {"application:apiQuota": quota(1000, "day")}, (), ("application:apiQuota.period",)),
    ("logging-off", {"application:apiLoggingLevel": "OFF"}, (), ("application:apiLoggingLevel", "'INFO' or 'ERROR'")),
    ("logging-debug", {"application:apiLoggingLevel": "DEBUG"}, (), ("application:apiLoggingLevel", "'INFO' or 'ERROR'")),
    ("owns-account-not-bool", {"application:ownsApiGatewayAccount": "maybe"}, (), ("application:ownsApiGatewayAccount", "valid boolean")),
    ("owns-account-missing", {}, ("application:ownsApiGatewayAccount",), ("application:ownsApiGatewayAccount: missing",)),
    ("api-key-typo", {"application:apiThrotle": throttle(10, 20)}, (), ("application:apiThrotle: unknown key", "apiThrottle")),
]  # fmt: skip


def base_config(env: str) -> dict[str, object]:
    return read_layer_config("application", env)


@pytest.mark.parametrize(("case", "overrides", "drop", "expected"), CASES, ids=[c[0] for c in CASES])
def test_invalid_api_config_is_refused_with_a_clear_message(case, overrides, drop, expected):
    raw = {k: v for k, v in {**base_config("staging"), **overrides}.items() if k not in drop}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, "application", ApplicationSettings, "application/Pulumi.staging.yaml")
    message = str(error.value)
    assert message.startswith("Invalid stack configuration in application/Pulumi.staging.yaml")
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in:\n{message}"


@pytest.mark.parametrize(
    "overrides",
    [
        {"application:merchants": '["acme", "acme"]'},
        {"application:apiThrottle": throttle(100, 50)},
        {"application:ownsApiGatewayAccount": "false"},  # no owner left for dev's account and region
    ],
    ids=["duplicate-merchants", "burst-below-rate", "no-account-owner"],
)
def test_bad_api_config_stops_the_layer_before_any_resource_is_declared(overrides, declared):
    planned("dev")  # the layers below, from their valid stack files
    declared.clear()
    with pytest.raises(PlatformConfigError):
        run_layer("application", "dev", overrides)
    assert [n for n in declared if not n.startswith("pulumi:pulumi:Stack")] == []


def test_configured_merchant_ids_are_ids_the_functions_accept():
    for env in ENVIRONMENTS:
        for key in ("application:merchants", "application:environmentMerchants"):
            for merchant in json.loads(str(base_config(env)[key])):
                msgspec.convert(merchant, MerchantId)


def test_the_merchants_are_declared_once_for_every_environment():
    """Onboarding a merchant is one line in application/Pulumi.yaml: no stack file repeats the list."""
    for env in ENVIRONMENTS:
        assert "application:merchants" not in read_stack_file(REPO / "application" / f"Pulumi.{env}.yaml")
    assert json.loads(str(read_project_config(REPO / "application")["application:merchants"]))


def write_stacks(directory: Path, changes: dict[str, dict[str, object]]) -> None:
    """The application stack files with some keys changed, e.g. two environments in one region."""
    for env in ENVIRONMENTS:
        document = yaml.safe_load((REPO / "application" / f"Pulumi.{env}.yaml").read_text())
        document["config"].update(changes.get(env, {}))
        (directory / f"Pulumi.{env}.yaml").write_text(yaml.safe_dump(document))
    shutil.copy2(REPO / "application" / "Pulumi.yaml", directory / "Pulumi.yaml")


def check(directory: Path, env: str) -> None:
    config = parse_stack_config(
        read_effective_config(directory / f"Pulumi.{env}.yaml"),
        "application",
        ApplicationSettings,
        f"application/Pulumi.{env}.yaml",
    )
    check_across_environments(config, "application", ApplicationSettings, directory, f"application/Pulumi.{env}.yaml")


def test_two_owners_of_the_api_gateway_account_in_one_account_and_region_are_refused(tmp_path):
    write_stacks(tmp_path, {"staging": {"platform:region": "us-east-1"}})  # dev's region, both own
    for env in ("dev", "staging"):
        with pytest.raises(PlatformConfigError) as error:
            check(tmp_path, env)
        message = str(error.value)
        assert "application:ownsApiGatewayAccount" in message
        assert "both own the API Gateway account settings of account 123456789012 in us-east-1" in message
    check(tmp_path, "prod")  # alone in eu-west-1


def test_no_owner_of_the_api_gateway_account_is_refused_and_names_the_candidates(tmp_path):
    write_stacks(
        tmp_path,
        {
            "staging": {"platform:region": "us-east-1", "application:ownsApiGatewayAccount": False},
            "dev": {"application:ownsApiGatewayAccount": False},
        },
    )
    with pytest.raises(
        PlatformConfigError, match=r"no environment owns .* in us-east-1 .* exactly one of: dev, staging"
    ):
        check(tmp_path, "dev")


def test_one_owner_per_account_and_region_passes_and_other_accounts_do_not_count(tmp_path):
    write_stacks(
        tmp_path,
        {
            "staging": {"platform:region": "us-east-1", "application:ownsApiGatewayAccount": False},
            # prod in dev's region too, but in another account: it owns that account's settings
            "prod": {"platform:region": "us-east-1", "platform:allowedAccountIds": ["210987654321"]},
        },
    )
    for env in ENVIRONMENTS:
        check(tmp_path, env)


def test_the_repositorys_environments_each_own_their_regions_account_settings():
    for env in ENVIRONMENTS:
        check(REPO / "application", env)

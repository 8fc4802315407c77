"""Stack files: environments differ only in declared values, and the platform block never drifts."""

import re

import pytest

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_stack_file, stack_files


def config_of(layer: str, env: str) -> dict[str, object]:
    return read_stack_file(REPO / layer / f"Pulumi.{env}.yaml")


@pytest.mark.parametrize("layer", DEPLOY_ORDER)
def test_every_layer_has_one_stack_file_per_environment(layer):
    assert sorted(stack_files(REPO / layer)) == sorted(ENVIRONMENTS)
    assert (REPO / layer / "Pulumi.yaml").read_text().startswith(f"name: payments-{layer}\n")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_platform_block_is_identical_in_all_four_layers(env):
    blocks = {
        layer: {k: v for k, v in config_of(layer, env).items() if k.startswith("platform:")} for layer in DEPLOY_ORDER
    }
    reference = blocks["networking"]
    assert reference
    for layer, block in blocks.items():
        assert block == reference, f"{layer}/Pulumi.{env}.yaml platform: block differs from networking's"


@pytest.mark.parametrize("layer", DEPLOY_ORDER)
def test_environments_declare_the_same_keys_and_differ_only_in_values(layer):
    keys = {env: set(config_of(layer, env)) for env in ENVIRONMENTS}
    assert keys["dev"] == keys["staging"] == keys["prod"], f"{layer}: stack files declare different keys: {keys}"


def test_stack_config_names_no_real_account_and_no_provider_namespace():
    for layer in DEPLOY_ORDER:
        for env in ENVIRONMENTS:
            text = (REPO / layer / f"Pulumi.{env}.yaml").read_text()
            assert set(re.findall(r"\b\d{12}\b", text)) <= {"123456789012"}, f"{layer}/{env}"
            assert "aws:" not in text, f"{layer}/{env}: configure the provider through platform: keys"

"""Stack files: environments differ only in declared values, and the platform block never drifts."""

import re

import pytest

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_stack_file, stack_files

# Every Pulumi project of the repository: the four layers and the per-account bootstrap (accounts/).
PROJECTS = tuple(sorted(path.parent.name for path in REPO.glob("*/Pulumi.yaml")))


def config_of(layer: str, env: str) -> dict[str, object]:
    return read_stack_file(REPO / layer / f"Pulumi.{env}.yaml")


def test_the_projects_are_the_layers_and_the_account_bootstrap():
    assert set(PROJECTS) == {*DEPLOY_ORDER, "accounts"}


@pytest.mark.parametrize("project", PROJECTS)
def test_every_project_has_one_stack_file_per_environment(project):
    stacks = stack_files(REPO / project)
    missing = [f"{project}/Pulumi.{env}.yaml" for env in ENVIRONMENTS if env not in stacks]
    unknown = [f"{project}/Pulumi.{stack}.yaml" for stack in stacks if stack not in ENVIRONMENTS]
    assert (missing, unknown) == ([], []), f"one stack file per environment of shared/environments.py: {ENVIRONMENTS}"
    assert (REPO / project / "Pulumi.yaml").read_text().startswith(f"name: {project}\n")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_platform_block_is_identical_in_all_four_layers(env):
    blocks = {
        layer: {k: v for k, v in config_of(layer, env).items() if k.startswith("platform:")} for layer in DEPLOY_ORDER
    }
    reference = blocks["networking"]
    assert reference
    for layer, block in blocks.items():
        assert block == reference, f"{layer}/Pulumi.{env}.yaml platform: block differs from networking's"


@pytest.mark.parametrize("project", PROJECTS)
def test_environments_declare_the_same_keys_and_differ_only_in_values(project):
    keys = {env: sorted(config_of(project, env)) for env in ENVIRONMENTS}
    assert len({tuple(k) for k in keys.values()}) == 1, f"{project}: stack files declare different keys: {keys}"


def test_stack_config_names_no_real_account_and_no_provider_namespace():
    for project in PROJECTS:
        for env in ENVIRONMENTS:
            text = (REPO / project / f"Pulumi.{env}.yaml").read_text()
            assert set(re.findall(r"\b\d{12}\b", text)) <= {"123456789012"}, f"{project}/{env}"
            namespaces = {key.split(":")[0] for key in config_of(project, env)}
            assert "aws" not in namespaces, f"{project}/{env}: configure the provider through platform: keys"

"""Pulumi projects: names that carry the platform, `pulumi install` over the one root .venv with uv, and
config keys that keep their layer namespaces whatever the project is called."""

from pathlib import Path

import pytest
import yaml

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.projects import project_name, qualified_stack_name
from shared.promotion import RECORD_PROJECT
from shared.stack_files import REPO, stack_file
from tests.support import layer_of, one, planned
from tooling.stacks.preflight import load_stack
from tooling.stacks.record import RECORD_DIR, record_stack

PROJECTS = {**{layer: REPO / layer for layer in (*DEPLOY_ORDER, "accounts")}, RECORD_PROJECT: RECORD_DIR}


def _project_file(directory: Path) -> dict:
    return yaml.safe_load((directory / "Pulumi.yaml").read_text())


@pytest.mark.parametrize("layer", PROJECTS)
def test_every_pulumi_yaml_names_the_project_the_code_uses(layer: str) -> None:
    assert _project_file(PROJECTS[layer])["name"] == project_name(layer) == f"payments-{layer}"


@pytest.mark.parametrize("layer", PROJECTS)
def test_pulumi_install_runs_uv_over_the_one_root_venv(layer: str) -> None:
    runtime = _project_file(PROJECTS[layer])["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"]["toolchain"] == "uv"
    assert (PROJECTS[layer] / runtime["options"]["virtualenv"]).resolve() == REPO / ".venv"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_cli_and_the_stack_references_name_the_same_stacks(env: str) -> None:
    for layer in DEPLOY_ORDER:
        expected = f"organization/payments-{layer}/{env}"
        assert load_stack(layer, env).name == qualified_stack_name("organization", layer, env) == expected
        assert layer_of(planned(env), layer)["stack"] == expected
        assert layer_of(planned(env), layer)["project"] == project_name(layer)
    assert record_stack(env, "organization").name == f"organization/payments-promotion/{env}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_renaming_the_project_keeps_the_config_keys_and_their_meaning(env: str) -> None:
    """Stack files keep `networking:vpcCidr`; the program reads that namespace, not the project's."""
    stack = yaml.safe_load(stack_file("networking", env).read_text())["config"]
    assert not [key for key in stack if key.startswith("payments-")]
    networking = layer_of(planned(env), "networking")
    vpc = one(networking, "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == stack["networking:vpcCidr"]
    assert vpc["urn"].startswith(f"urn:pulumi:{env}::payments-networking::")

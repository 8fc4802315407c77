"""Project-level config (a project's Pulumi.yaml `config:` block) read the way the Pulumi CLI reads it.

The CLI (`mergeConfig` of its workspace package, with `RewriteShorthandConfigValues` and
`Project.Validate`): a key without a namespace is the project's; a scalar or a list is the value
(a `default` for the project's own keys, a `value` for any other namespace); a mapping is an entry
whose `value` or `default` every stack inherits unless its stack file sets the key, which then
replaces the whole value; an entry with both, or with a `default` for another namespace, is
refused. Every reader of stack files (layers' cross-environment rules, the offline plan, the checks,
the docs tables) goes through `read_effective_config`.
"""

import json
from pathlib import Path

import pytest

from shared.environments import ENVIRONMENTS
from shared.errors import StackFileError
from shared.stack_files import REPO, read_effective_config, read_layer_config, read_project_config
from tooling.plan.engine import stack_config

PROJECT = """name: shop
runtime: python
config:
{entries}
"""


def project(tmp_path: Path, entries: str, stack: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT.format(entries=entries))
    (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n{stack}" if stack else "config: {}\n")
    return tmp_path / "Pulumi.dev.yaml"


def test_scalars_and_lists_are_values_every_stack_inherits(tmp_path):
    stack = project(
        tmp_path,
        "  replicas: 3\n  shop:tier: gold\n  shop:enabled: true\n  aws:region: eu-west-1\n  shop:ids: [a, b]\n",
    )
    assert read_effective_config(stack) == {
        "shop:replicas": "3",  # no namespace: the project's
        "shop:tier": "gold",
        "shop:enabled": "true",  # booleans and numbers as the engine passes them, like a stack file's
        "aws:region": "eu-west-1",
        "shop:ids": '["a", "b"]',  # structured values as JSON, like a stack file's
    }


def test_an_entry_gives_its_value_or_the_projects_default(tmp_path):
    entries = (
        "  shop:merchants:\n    value: [m-1, m-2]\n"
        "  shop:limits:\n    value: {rate: 10}\n"
        "  shop:size:\n    type: string\n    default: small\n"
        "  shop:declared:\n    type: string\n    description: set by each stack\n"
    )
    assert read_project_config(project(tmp_path, entries).parent) == {
        "shop:merchants": '["m-1", "m-2"]',
        "shop:limits": '{"rate": 10}',
        "shop:size": "small",
    }


def test_a_stack_file_replaces_a_projects_value_as_a_whole(tmp_path):
    stack = project(
        tmp_path,
        "  shop:merchants:\n    value: [m-1, m-2]\n  shop:tier: gold\n",
        stack="  shop:merchants: [m-9]\n",
    )
    assert read_effective_config(stack) == {"shop:merchants": '["m-9"]', "shop:tier": "gold"}


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("  shop:tier:\n    value: gold\n    default: silver\n", "either value or default, not both"),
        ("  aws:region:\n    default: eu-west-1\n", "takes value:, not default:"),
        ("  shop:tier:\n    valeu: gold\n", "valeu is not an attribute of a project config entry"),
    ],
    ids=["value and default", "default of another namespace", "misspelt attribute"],
)
def test_an_entry_pulumi_refuses_is_refused_naming_it(tmp_path, entry, why):
    with pytest.raises(StackFileError, match=why) as error:
        read_project_config(project(tmp_path, entry).parent)
    assert "Pulumi.yaml: config: " in str(error.value)


def test_a_directory_of_stack_files_alone_inherits_nothing(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  shop:tier: gold\n")
    assert read_effective_config(tmp_path / "Pulumi.dev.yaml") == {"shop:tier": "gold"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_receives_the_merchants_declared_once(env):
    declared = read_project_config(REPO / "application")["application:merchants"]
    assert json.loads(str(declared))
    assert read_layer_config("application", env)["application:merchants"] == declared
    config, _ = stack_config("application", env)  # what the offline plan hands the program
    assert config["application:merchants"] == declared


def test_overrides_replace_a_layers_values_for_a_what_if_plan():
    merchants = json.dumps([f"merchant-{n:04d}" for n in range(3)])
    config, _ = stack_config("application", "dev", {"application:merchants": merchants, "data:engine": "aurora"})
    assert config["application:merchants"] == merchants
    assert "data:engine" not in config, "an override reaches only the layer of its namespace"

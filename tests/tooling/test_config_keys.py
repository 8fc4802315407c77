"""A stack-config key is a one-place change: these checks catch every place that disagrees."""

import shutil
from pathlib import Path

import pytest

from shared import stack_files
from tooling.checks import config_keys, stack_config


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stack files and READMEs in a scratch repository the checks read instead of the real one."""
    for layer in stack_config.PROJECTS:
        (tmp_path / layer).mkdir()
        for path in (stack_files.REPO / layer).glob("Pulumi*.yaml"):
            shutil.copy2(path, tmp_path / layer / path.name)
    for relative in config_keys.TABLES:
        shutil.copy2(stack_files.REPO / relative, tmp_path / relative)
    monkeypatch.setattr(stack_files, "REPO", tmp_path)
    monkeypatch.setattr(config_keys, "REPO", tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_repository_agrees_with_itself():
    assert config_keys.problems() == []


def test_a_value_changed_in_one_stack_file_without_a_variation_is_refused(repo_copy):
    _edit(repo_copy / "data" / "Pulumi.staging.yaml", 'data:engineVersion: "14"', 'data:engineVersion: "14.15"')
    found = stack_config.undeclared_differences(config_keys.stack_values())
    assert len(found) == 1 and found[0].startswith("data:engineVersion differs between environments")
    assert 'staging="14.15"' in found[0]


def test_a_declared_key_may_differ(repo_copy):
    _edit(repo_copy / "data" / "Pulumi.staging.yaml", "data:backupRetentionDays: 3", "data:backupRetentionDays: 5")
    assert stack_config.undeclared_differences(config_keys.stack_values()) == []


def test_a_variation_for_a_key_that_no_longer_exists_is_refused(monkeypatch):
    monkeypatch.setattr(config_keys, "VARIATIONS", {**config_keys.VARIATIONS, "data:dbInstanceClass": None})
    assert config_keys.unknown_variations() == [
        "shared/variations.py declares data:dbInstanceClass, which no settings model declares: remove the entry"
    ]


def test_a_readme_row_that_disagrees_with_the_stack_files_is_refused(repo_copy):
    _edit(
        repo_copy / "README.md",
        "| db.t3.medium | db.t3.medium | db.r5.large |",
        "| db.t3.medium | db.t3.medium | db.r6g.large |",
    )
    assert config_keys.stale_tables(config_keys.stack_values()) == [
        "README.md: its generated tables disagree with the models and stack files: run `make docs`"
    ]


def test_a_stack_file_change_makes_the_tables_stale_until_make_docs(repo_copy):
    _edit(
        repo_copy / "data" / "Pulumi.prod.yaml", "data:instanceClass: db.r5.large", "data:instanceClass: db.r6g.large"
    )
    assert len(config_keys.stale_tables(config_keys.stack_values())) == 2  # README.md and data/README.md
    assert config_keys.main(["--write"]) == 0
    assert config_keys.stale_tables(config_keys.stack_values()) == []
    assert "| db.t3.medium | db.t3.medium | db.r6g.large |" in (repo_copy / "data" / "README.md").read_text()


def test_every_key_has_a_description(monkeypatch):
    assert config_keys.undescribed_keys() == []
    monkeypatch.setattr(config_keys, "declared_keys", lambda: {"data:newKey": ""})
    assert config_keys.undescribed_keys() == ["data:newKey has no description in its settings model"]


def test_the_stack_file_diff_sample_is_what_gnu_diff_prints():
    """`diff -y --suppress-common-lines -W 90 --expand-tabs` output, as GNU diff 3.8 printed it."""
    assert config_keys.side_by_side(["a", "b", "c"], ["a", "c", "d"]) == [
        "b" + " " * 43 + "<",
        " " * 44 + ">  d",
    ]
    assert config_keys.side_by_side(["  platform:region: us-east-2"], ["  platform:region: eu-west-1\tx"]) == [
        "  platform:region: us-east-2                |    platform:region: eu-west-1    x"
    ]


def test_a_stack_file_change_makes_the_readmes_diff_sample_stale(repo_copy):
    _edit(
        repo_copy / "networking" / "Pulumi.prod.yaml",
        "networking:vpcCidr: 10.2.0.0/16",
        "networking:vpcCidr: 10.3.0.0/16",
    )
    assert config_keys.stale_tables(config_keys.stack_values()) == [
        "README.md: its generated tables disagree with the models and stack files: run `make docs`"
    ]
    assert config_keys.main(["--write"]) == 0
    assert "|    networking:vpcCidr: 10.3.0.0/16\n" in (repo_copy / "README.md").read_text()

"""The offline plans pass the pack, `make policy` fails on a violation, and the pack builds only in
`policy/__main__.py`."""

import importlib
import runpy
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import PolicyPack

import policy
import tooling.checks.cli
from policy import ALL_POLICIES, PACK_NAME
from shared.environments import ENVIRONMENTS
from tests.support import NO_SUCH_ENVIRONMENT, planned, run_layer
from tooling.checks import policy as policy_check

PACK_DIR = Path(__file__).resolve().parents[2] / "policy"


def _messages(plan: dict[str, Any]) -> list[str]:
    return [f"{v.policy} {v.urn}: {v.message}" for v in policy_check.check_plan(plan)]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_passes_every_policy(env):
    assert _messages(planned(env)) == []


@pytest.mark.parametrize(
    "overrides",
    [{"data:engine": "aurora-postgresql"}, {"data:dr": {"enabled": True, "region": "us-west-2"}}],
    ids=["aurora", "dr"],
)
def test_the_optional_data_shapes_pass_every_policy(overrides):
    run = run_layer("data", "prod", overrides)
    assert _messages({"layers": [{"stack": "organization/payments-data/prod", "resources": run.resources}]}) == []


def test_policy_command_passes_dev_and_rejects_unknown_environments(capsys):
    assert policy_check.main(["dev"]) == 0
    assert f"dev: {len(ALL_POLICIES)} policies, no violations" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        policy_check.main([NO_SUCH_ENVIRONMENT])
    assert exit_.value.code == 2
    assert "unknown environment 'nope'; allowed: dev, staging, prod" in capsys.readouterr().err


def test_policy_command_fails_on_a_corrupted_plan(monkeypatch, capsys):
    def corrupted(env: str) -> dict[str, Any]:
        plan = planned(env)
        layers = [{**layer, "resources": [_corrupt(r) for r in layer["resources"]]} for layer in plan["layers"]]
        return {**plan, "layers": layers}

    monkeypatch.setattr(tooling.checks.cli, "plan_environment", corrupted)
    monkeypatch.setenv("COLUMNS", "300")  # one table row per line
    assert policy_check.main(["dev"]) == 1
    out = capsys.readouterr().out
    assert "rds-instance-no-public-access (RDS.2)" in out and "database-instance" in out


def _corrupt(record: dict[str, Any]) -> dict[str, Any]:
    if record["type"] != "aws:rds/instance:Instance":
        return record
    return {**record, "inputs": {**record["inputs"], "publiclyAccessible": True}}


def test_policy_names_are_unique():
    names = [policy.name for policy in ALL_POLICIES]
    assert len(names) == len(set(names))


def test_importing_the_policies_starts_no_server(monkeypatch):
    """Only `policy/__main__.py` builds the pack (which serves and blocks); the module stays importable."""
    built: list[str] = []

    def record_pack(self: PolicyPack, name: str, **kwargs: Any) -> None:
        built.append(name)
        assert [p.name for p in kwargs["policies"]] == [p.name for p in ALL_POLICIES]

    monkeypatch.setattr(PolicyPack, "__init__", record_pack)
    importlib.reload(policy)
    assert built == []
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    assert built == [PACK_NAME]


def test_docs_list_every_policy():
    docs = (PACK_DIR.parent / "docs" / "policies.md").read_text()
    assert [p.name for p in ALL_POLICIES if f"`{p.name}`" not in docs] == []


def test_pack_project_runs_python_from_the_repository_venv():
    settings = (PACK_DIR / "PulumiPolicy.yaml").read_text()
    assert "name: python" in settings and "virtualenv: ../.venv" in settings


def test_the_pack_owns_its_rules():
    """What ships to `pulumi preview --policy-pack policy` imports nothing from developer tooling."""
    sources = {path.name: path.read_text() for path in PACK_DIR.glob("*.py")}
    assert [name for name, text in sources.items() if "tooling" in text] == []

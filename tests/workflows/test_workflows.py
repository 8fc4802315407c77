"""The GitHub Actions workflows, read as files: linted by actionlint and zizmor (what `make lint`
runs), and held to the project's rules. Nothing here talks to GitHub or AWS."""

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from accounts.policies import github_environments
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_layer_config
from tooling.checks import workflows

PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
# Write permissions, and the one job of each workflow allowed to hold them.
WRITES = {
    ("deploy-environment.yml", "deploy"): {"id-token"},
    ("drift.yml", "drift"): {"id-token"},
    ("drift.yml", "issue"): {"issues"},
    ("pull-request.yml", "comment"): {"pull-requests"},
}
CALLERS = {("deploy.yml", "dev"), ("deploy.yml", "staging"), ("promote-prod.yml", "prod")}


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((workflows.WORKFLOWS / name).read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the `on` key as a boolean
    return document


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path.name) for path in sorted(workflows.WORKFLOWS.glob("*.yml"))}


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def promoted_from(env: str) -> str:
    return str(read_layer_config("networking", env).get("platform:promotedFrom", "none"))


# --- the linters -------------------------------------------------------------------------------


def test_the_workflows_pass_actionlint_and_zizmor(capfd):
    assert workflows.main([]) == 0
    summary = capfd.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith(f"workflows: {len(all_workflows())} file(s)")
    assert summary.endswith("actionlint and zizmor pass")


BROKEN = """\
name: broken
on: push
jobs:
  deploy:
    needs: build
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo ${{ github.event.head_commit.message }}
"""


def test_a_broken_workflow_fails_and_each_tool_catches_its_own_part(tmp_path, capfd):
    """actionlint: a job that needs a job nobody defines, and an untrusted value expanded into a
    script; zizmor: an action pinned by tag, a token persisted on disk, default permissions."""
    (tmp_path / "broken.yml").write_text(BROKEN)
    commands = workflows.commands([tmp_path / "broken.yml"])
    lint = subprocess.run(commands["actionlint"], capture_output=True, text=True, check=False)
    audit = subprocess.run(commands["zizmor"], capture_output=True, text=True, check=False)
    assert lint.returncode == 1
    assert 'job "deploy" needs job "build" which does not exist in this workflow [job-needs]' in lint.stdout
    assert '"github.event.head_commit.message" is potentially untrusted' in lint.stdout
    assert not re.search(r"\bpin|commit sha|permissions|persist", lint.stdout, re.IGNORECASE)  # zizmor's part
    assert audit.returncode != 0
    for audit_id in ("unpinned-uses", "artipacked", "excessive-permissions", "template-injection"):
        assert f"[{audit_id}]" in audit.stdout, audit_id
    assert workflows.main([str(tmp_path)]) == workflows.FOUND
    assert "actionlint (exit 1) and zizmor (exit" in capfd.readouterr().err


def test_nothing_to_check_is_an_error_not_a_pass(tmp_path, capfd):
    assert workflows.main([str(tmp_path)]) == workflows.UNUSABLE
    assert f"no workflow files (*.yml, *.yaml) in {tmp_path}" in capfd.readouterr().err


# --- the project's rules -------------------------------------------------------------------------


def test_every_action_is_pinned_by_commit_with_its_release_in_a_comment():
    lines = [
        line.split("uses:", 1)[1].strip()
        for path in workflows.WORKFLOWS.glob("*.yml")
        for line in path.read_text().splitlines()
        if line.strip().startswith(("uses:", "- uses:"))
    ]
    remote = [uses for uses in lines if not uses.startswith("$/")]
    assert remote
    assert [uses for uses in remote if not PINNED.match(uses)] == []


@pytest.mark.parametrize("name", sorted(p.name for p in workflows.WORKFLOWS.glob("*.yml")))
def test_no_default_permissions_and_writes_only_where_needed(name):
    document = load(name)
    assert document["permissions"] == {}
    assert not {"pull_request_target", "workflow_run"} & set(document["on"])
    for job_name, job in document["jobs"].items():
        assert "permissions" in job, job_name
        writes = {scope for scope, access in job["permissions"].items() if access == "write"}
        if (name, job_name) in CALLERS:  # a caller grants what its called workflow's job needs
            assert writes == {"id-token"}
        else:
            assert writes == WRITES.get((name, job_name), set()), job_name
    # every `run:` script is shell (actionlint's ShellCheck reads it; pyflakes is off)
    assert not [step for step in steps(document) if "shell" in step]


def test_two_deploys_of_one_environment_never_overlap():
    job = load("deploy-environment.yml")["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    assert job["permissions"]["id-token"] == "write"
    deploys = [step for step in job["steps"] if "make deploy" in step.get("run", "")]
    assert len(deploys) == 1
    assert 'make deploy ENV="$ENVIRONMENT" CONFIRM="$CONFIRM"' in deploys[0]["run"]


def test_main_deploys_the_ungated_environments_in_order_and_prod_only_by_hand():
    """deploy.yml runs every environment that is promoted from none (dev, then staging), each after
    the one before; an environment with platform:promotedFrom is promote-prod.yml's, behind its
    GitHub environment's reviewers, with the plan digest as CONFIRM."""
    ungated = [env for env in ENVIRONMENTS if promoted_from(env) == "none"]
    gated = [env for env in ENVIRONMENTS if promoted_from(env) != "none"]
    deploy = load("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    jobs = deploy["jobs"]
    assert [job["with"]["environment"] for job in jobs.values()] == ungated
    assert [job.get("needs") for job in jobs.values()] == [None, *ungated[:-1]]
    promote = load("promote-prod.yml")
    assert set(promote["on"]) == {"workflow_dispatch"}
    assert promote["on"]["workflow_dispatch"]["inputs"]["plan_digest"]["required"] is True
    (job,) = promote["jobs"].values()
    assert [job["with"]["environment"]] == gated
    assert job["with"]["confirm"] == "${{ inputs.plan_digest }}"
    assert job["if"] == "github.ref == 'refs/heads/main'"
    for document in (deploy, promote):
        assert {job["uses"] for job in document["jobs"].values()} == {"$/.github/workflows/deploy-environment.yml"}


def test_drift_runs_nightly_for_every_environment_through_its_drift_role():
    drift = load("drift.yml")
    assert [entry["cron"] for entry in drift["on"]["schedule"]] == ["17 5 * * *"]
    for job in drift["jobs"].values():
        assert job["strategy"]["matrix"]["env"] == list(ENVIRONMENTS)
    job = drift["jobs"]["drift"]
    assert job["environment"] == github_environments("${{ matrix.env }}")["drift"]
    (run,) = [step for step in job["steps"] if "make drift" in step.get("run", "")]
    assert run["env"]["PLATFORM_AWS_ROLE"] == "drift"
    assert job["concurrency"]["group"] == "drift-${{ matrix.env }}"  # never a deploy's group: it would cancel one


def test_the_github_environments_are_the_ones_accounts_trusts():
    job = load("deploy-environment.yml")["jobs"]["deploy"]
    assert job["environment"] == github_environments("${{ inputs.environment }}")["deploy"]


def test_the_pulumi_cli_is_the_version_of_the_pinned_sdk():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (pin,) = [dependency for dependency in project["dependencies"] if dependency.startswith("pulumi==")]
    versions = {
        step["with"]["pulumi-version"]
        for document in all_workflows().values()
        for step in steps(document)
        if step.get("uses", "").startswith("pulumi/actions@")
    }
    assert versions == {pin.removeprefix("pulumi==")}


def test_the_workflows_directory_is_where_make_lint_looks():
    assert Path(REPO / ".github" / "workflows") == workflows.WORKFLOWS
    assert "$(PY) -m tooling.checks.workflows" in (REPO / "Makefile").read_text()

"""`make review` on real commits: a scratch git repository holding a copy of this checkout, one commit per
scenario, each reviewed against the one before (`--base HEAD~1`) by `python -m tooling.review` run in
the scratch repository with its own code (the base is planned in a temporary worktree of it).

Scenarios: staging's database class raised and one IAM action added (the acceptance case); a commit
touching only docs; a port opened to the internet, one resource renamed without an alias, one renamed
with an alias and a secret's value changed. The virtualenvs, the Lambda dependencies and checkov's results are linked in
from this checkout (all keyed by what decides them), so nothing is installed or downloaded."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS
from tooling.checks.redact import Redactor
from tooling.review.diff import diff_plans
from tooling.review.replacement import (
    PackageSchema,
    ReplacementRules,
    SchemaError,
    installed_version,
    load_rules,
    read_schemas,
)
from tooling.review.review import config_changes

REPO = Path(__file__).resolve().parents[2]
CANARY = "review-canary-7f3e9c2d"  # a value only a secret holds
GIT = shutil.which("git")


@dataclass
class Run:
    returncode: int
    output: str
    markdown: str
    report: dict[str, Any]

    def environment(self, env: str) -> dict[str, Any]:
        return next(e for e in self.report["environments"] if e["environment"] == env)

    def section(self, env: str) -> str:
        """The collapsible section of one environment in review.md."""
        start = self.markdown.index(f"<summary><b>{env}</b>")
        return self.markdown[start : self.markdown.index("</details>", start)]


@dataclass
class Scratch:
    root: Path
    runs: dict[str, Run] = field(default_factory=dict)

    def git(self, *args: str) -> str:
        assert GIT
        done = subprocess.run([GIT, *args], cwd=self.root, capture_output=True, text=True, check=True)
        return done.stdout

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def review(self, *args: str) -> Run:
        env = {
            "PATH": f"{Path(GIT or '/usr/bin/git').parent}{os.pathsep}/bin",  # git only: no Pulumi CLI
            "HOME": str(self.root.parent / "home"),
            "PYTHONPATH": f"{self.root}{os.pathsep}{self.root / 'functions'}",
            "COLUMNS": "200",
        }
        done = subprocess.run(
            [sys.executable, "-m", "tooling.review", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        out = self.root / "build" / "review"
        markdown = (out / "review.md").read_text() if (out / "review.md").exists() else ""
        report = json.loads((out / "review.json").read_text()) if (out / "review.json").exists() else {}
        return Run(done.returncode, done.stdout + done.stderr, markdown, report)

    def scenario(self, name: str, change: Callable[["Scratch"], None]) -> Run:
        """Commit `change` and review it against the commit before (once per scenario)."""
        if name not in self.runs:
            change(self)
            self.commit(name)
            self.runs[name] = self.review("--base", "HEAD~1")
        return self.runs[name]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """A git repository with this checkout's files (committed or not) as its first commit."""
    root = tmp_path_factory.mktemp("review") / "repo"
    (root.parent / "home").mkdir()
    assert GIT
    listed = subprocess.run(
        [GIT, "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    for venv in (".venv", ".venv-checkov"):
        (root / venv).symlink_to(REPO / venv, target_is_directory=True)
    for cache in ("lambda/deps", "scan"):  # what the checkout installed and scanned: keyed by content
        if (REPO / "build" / cache).is_dir():
            shutil.copytree(REPO / "build" / cache, root / "build" / cache, copy_function=os.link)
    scratch = Scratch(root)
    scratch.git("init", "-q", "-b", "main")
    scratch.git("config", "user.email", "review@example.com")
    scratch.git("config", "user.name", "review test")
    scratch.commit("the checkout")
    return scratch


def _class_and_action(scratch: Scratch) -> None:
    scratch.edit("data/Pulumi.staging.yaml", "data:instanceClass: db.t3.medium", "data:instanceClass: db.r5.large")
    scratch.edit(
        "networking/flow_logs.py",
        '"logs:DescribeLogStreams"]',
        '"logs:DescribeLogStreams", "logs:GetLogEvents"]',
    )


def _docs_only(scratch: Scratch) -> None:
    readme = scratch.root / "docs" / "review.md"
    readme.write_text(readme.read_text() + "\nA sentence a reviewer added.\n")


def _port_renames_and_secret(scratch: Scratch) -> None:
    scratch.edit(
        "networking/security_groups.py",
        '        self._ingress("database-from-proxy"',
        '        self._ingress("alb-from-internet-8443", self.alb, 8443, cidr=ANYWHERE)\n'
        '        self._ingress("database-from-proxy"',
    )
    scratch.edit("networking/flow_logs.py", 'f"{name}-key-alias"', 'f"{name}-kms-alias"')
    scratch.edit(
        "networking/flow_logs.py",
        'f"{name}-flow-log",',
        'f"{name}-vpc-flow-log",',
    )
    scratch.edit(
        "networking/flow_logs.py",
        "opts=ctx.tagged_child(self, depends_on=[role.policy]),",
        'opts=ctx.tagged_child(self, depends_on=[role.policy], aliases=[pulumi.Alias(name=f"{name}-flow-log")]),',
    )
    scratch.edit(
        "data/function_secrets.py",
        "value=self.key_hash_key,",
        f'value=pulumi.Output.concat(self.key_hash_key, "{CANARY}"),',
    )


# --- the acceptance case -----------------------------------------------------------------------


def test_a_staging_database_class_and_an_iam_action_need_a_human(scratch: Scratch) -> None:
    run = scratch.scenario("staging database class, one more IAM action", _class_and_action)

    assert run.returncode == 7, run.output
    first_line = run.markdown.splitlines()[0]
    assert first_line.startswith("**make review: Needs a human (exit 7)") and "logs:GetLogEvents" in first_line
    staging = run.section("staging")
    assert "`database-instance`" in staging and "`instanceClass`" in staging
    assert "`db.t3.medium`" in staging and "`db.r5.large`" in staging
    assert "flow-logs-role" in staging and "logs:GetLogEvents" in staging and "new action" in staging
    cost = run.environment("staging")["cost"]
    assert cost["difference"] > 0 and f"{cost['difference']:+,.2f}" in staging
    for env in ("dev", "prod"):
        review = run.environment(env)
        assert review["cost"]["difference"] == 0
        assert all(r["type"] != "aws:rds/instance:Instance" for r in review["diff"]["resources"])
        assert review["config"] == []
        assert "`instanceClass`" not in run.section(env)


def test_the_json_report_is_versioned_and_names_both_commits(scratch: Scratch) -> None:
    run = scratch.scenario("staging database class, one more IAM action", _class_and_action)
    report = run.report

    assert report["schema_version"] == 1 and report["kind"] == "review" and report["exit_code"] == 7
    assert report["base"]["commit"] != report["head"]["commit"] and report["head"]["dirty"] is False
    assert [e["environment"] for e in report["environments"]] == list(ENVIRONMENTS)
    staging = run.environment("staging")
    (change,) = [r for r in staging["diff"]["resources"] if r["type"] == "aws:rds/instance:Instance"]
    (prop,) = change["changes"]
    assert (prop["path"], prop["before"], prop["after"]) == ("instanceClass", "db.t3.medium", "db.r5.large")
    assert prop["forces_replacement"] is None and change["replacement"] == "unknown"
    assert "cannot be known offline" in report["replacement_source"]
    assert staging["config"] == [{"key": "data:instanceClass", "before": "db.t3.medium", "after": "db.r5.large"}]
    assert staging["artifact"]["before"] == staging["artifact"]["after"] != ""
    assert [p["undeclared_after"] for p in report["parity"]] == [0, 0]


# --- no infrastructure change ----------------------------------------------------------------------


def test_a_docs_only_commit_is_no_infrastructure_change(scratch: Scratch) -> None:
    scratch.scenario("staging database class, one more IAM action", _class_and_action)
    run = scratch.scenario("docs only", _docs_only)

    assert run.returncode == 0, run.output
    assert "no infrastructure change" in run.markdown.splitlines()[0]
    assert all(e["diff"]["resources"] == [] and e["config"] == [] for e in run.report["environments"])


# --- ports, renames, secrets -----------------------------------------------------------------------


def _port_run(scratch: Scratch) -> Run:
    scratch.scenario("staging database class, one more IAM action", _class_and_action)
    scratch.scenario("docs only", _docs_only)
    return scratch.scenario("a port opened, two renames, a secret", _port_renames_and_secret)


def test_an_opened_ingress_port_broadens_every_environment(scratch: Scratch) -> None:
    run = _port_run(scratch)

    assert run.returncode == 7, run.output
    for env in ENVIRONMENTS:
        items = run.environment(env)["broadening"]["items"]
        (ingress,) = [i for i in items if i["category"] == "ingress"]
        assert "tcp 8443 from 0.0.0.0/0" in ingress["grant"] and "open to the internet" in ingress["reasons"]
        created = [r["resource"] for r in run.environment(env)["diff"]["resources"] if r["action"] == "create"]
        assert any(r.endswith("::security-groups-alb-from-internet-8443") for r in created)


def test_a_rename_without_an_alias_is_a_replacement_and_with_one_is_not(scratch: Scratch) -> None:
    run = _port_run(scratch)

    for env in ENVIRONMENTS:
        diff = run.environment(env)["diff"]
        (rename,) = diff["renames"]
        assert rename["before"].endswith("::flow-logs-key-alias") and rename["after"].endswith("::flow-logs-kms-alias")
        changes = {r["resource"].rsplit("::", 1)[-1]: r for r in diff["resources"]}
        assert changes["flow-logs-key-alias"]["action"] == "delete"
        assert changes["flow-logs-kms-alias"]["action"] == "create"
        aliased = changes["flow-logs-vpc-flow-log"]  # the alias keeps it: an update, nothing replaced
        assert aliased["action"] == "update" and aliased["renamed_from"].endswith("::flow-logs-flow-log")
        assert aliased["changes"] == [] and aliased["replacement"] == "no" and "flow-logs-flow-log" not in changes
    prod = run.section("prod")
    assert "Renamed without an alias" in prod and "`flow-logs-kms-alias`" in prod
    assert "(alias of `flow-logs-flow-log`)" in prod


def test_a_changed_secret_never_reaches_the_outputs(scratch: Scratch) -> None:
    run = _port_run(scratch)

    assert CANARY not in run.output and CANARY not in run.markdown and CANARY not in json.dumps(run.report)
    for path in (scratch.root / "build" / "review").rglob("*.json"):
        assert CANARY not in path.read_text(), path


def test_an_unknown_base_is_a_usage_error(scratch: Scratch) -> None:
    run = scratch.review("--base", "no-such-ref")

    assert run.returncode == 2 and "error: git rev-parse" in run.output and "Traceback" not in run.output


# --- units: secrets in stack files, replacements from a schema, aliases ---------------------------


def test_an_encrypted_stack_value_shows_as_secret_and_its_ciphertext_is_redacted() -> None:
    before = {"data:instanceClass": "db.t3.medium", "data:token": {"secure": "v1:AAAAciphertextONE"}}
    after = {"data:instanceClass": "db.t3.medium", "data:token": {"secure": "v1:AAAAciphertextTWO"}}

    (change,) = config_changes(before, after)
    assert (change.key, change.before, change.after) == ("data:token", "[secret]", "[secret]")
    redactor = Redactor(["v1:AAAAciphertextONE"])
    assert redactor.value({"note": "was v1:AAAAciphertextONE"}) == {"note": "was [secret]"}


def _schema(version: str | None = None) -> dict[str, Any]:
    """A Pulumi package schema in the provider's own shape, cut to two properties of an RDS instance:
    Terraform's aws_db_instance has `storage_encrypted` ForceNew and `instance_class` updatable."""
    return {
        "name": "aws",
        "version": version or installed_version("aws"),
        "resources": {
            "aws:rds/instance:Instance": {
                "inputProperties": {
                    "instanceClass": {"type": "string"},
                    "storageEncrypted": {"type": "boolean", "willReplaceOnChanges": True},
                    "blueGreenUpdate": {"$ref": "#/types/aws:rds%2FInstanceBlueGreenUpdate:InstanceBlueGreenUpdate"},
                    "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                }
            }
        },
        "types": {
            "aws:rds/InstanceBlueGreenUpdate:InstanceBlueGreenUpdate": {"properties": {"enabled": {"type": "boolean"}}}
        },
    }


def test_the_provider_schema_says_which_changes_replace() -> None:
    schema = PackageSchema.parse(_schema(), "test schema")
    rds = "aws:rds/instance:Instance"

    assert schema.forces_replacement(rds, "storageEncrypted") is True
    assert schema.forces_replacement(rds, "instanceClass") is False
    assert schema.forces_replacement(rds, "blueGreenUpdate.enabled") is False
    assert schema.forces_replacement(rds, "tags.Owner") is False
    assert schema.forces_replacement(rds, "noSuchProperty") is None
    assert schema.forces_replacement("aws:s3/bucket:Bucket", "bucket") is None


def test_a_replacing_change_to_a_protected_resource_is_flagged(tmp_path: Path) -> None:
    from tests.support import planned  # noqa: PLC0415 (the plans are made once per session)

    schema_file = tmp_path / "aws.json"
    schema_file.write_text(json.dumps(_schema()))
    rules = load_rules(["aws"], read_schemas([schema_file]))
    head = json.loads(json.dumps(planned("prod")))
    (database,) = [
        r for layer in head["layers"] for r in layer["resources"] if r["type"] == "aws:rds/instance:Instance"
    ]
    database["inputs"]["storageEncrypted"] = False

    (change,) = diff_plans(planned("prod"), head, rules).resources
    assert change.protected and change.replacement == "yes" and change.changes[0].forces_replacement is True


def test_a_schema_of_another_version_is_refused(tmp_path: Path) -> None:
    schema_file = tmp_path / "aws.json"
    schema_file.write_text(json.dumps(_schema(version="6.0.0")))

    with pytest.raises(SchemaError, match=r"schema of aws 6\.0\.0, installed SDK"):
        read_schemas([schema_file])


def test_without_a_schema_replacement_is_unknown_and_says_why() -> None:
    rules = ReplacementRules(missing={"aws": "no schema file given and no Pulumi CLI on PATH"})

    assert rules.forces_replacement("aws:rds/instance:Instance", "instanceClass") is None
    assert "cannot be known offline" in rules.describe()

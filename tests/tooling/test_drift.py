"""`make drift` and `make compare` through the real Automation API code path, against the fake `pulumi`.

The Automation API (pulumi.automation) really runs: it calls `pulumi version`, `stack select`,
`stack export --show-secrets`, `config --show-secrets --json`, `preview --event-log tcp://...` and
`refresh --preview-only --event-log tcp://...`, and reads the engine events the fake streams to
its gRPC server. The fake answers from a world of deployed stacks built from the offline plans
(tests/tooling/fake_world.py); each test makes one thing differ.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation.events import StepEventMetadata

from shared.contracts import DEPLOY_ORDER
from tests.support import NO_SUCH_ENVIRONMENT, planned
from tests.tooling.fake_world import World, plaintext_secret, secret
from tests.tooling.test_stacks_cli import FAKE_BIN, Checkout, _assert_refused, checkout, python_wrapper
from tooling.checks.compare import Side, compare
from tooling.checks.parity import neighbours
from tooling.checks.redact import Redactor
from tooling.checks.report import Tally
from tooling.stacks import compare as compare_command
from tooling.stacks import drift
from tooling.stacks.events import StepReader, resolve

__all__ = ["checkout"]  # the fixture, used by the make tests below

SECRET_TOKEN = "tok-7f3a9c-live-do-not-print"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A clean environment for in-process runs: only the fake `pulumi` and the venv's python on PATH."""
    for key in list(os.environ):
        if key.startswith(("AWS_", "PULUMI_", "FAKE_PULUMI")):
            monkeypatch.delenv(key)
    bin_dir, home, state = tmp_path / "python-bin", tmp_path / "home", tmp_path / "state"
    for directory in (bin_dir, home, state):
        directory.mkdir()
    python_wrapper(bin_dir)
    monkeypatch.setenv("PATH", f"{FAKE_BIN}{os.pathsep}{bin_dir}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("PULUMI_BACKEND_URL", state.as_uri())
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("FAKE_PULUMI_WORLD", str(tmp_path / "world"))
    yield World(tmp_path / "world")


def run_drift(tmp_path: Path, env: str = "staging") -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    code = drift.main(["--env", env, "--json", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}


def items(report: dict[str, Any], comparison: str) -> list[dict[str, Any]]:
    return [item for item in report["items"] if item["comparison"] == comparison]


def calls(tmp_path: Path) -> list[list[str]]:
    lines = (tmp_path / "calls.jsonl").read_text().splitlines()
    return [[a for a in json.loads(line)["argv"] if a != "--non-interactive"] for line in lines]


def resource_count(env: str) -> int:
    return sum(len(layer["resources"]) for layer in planned(env)["layers"])


# --- drift -----------------------------------------------------------------------------------


def test_no_drift_exits_0_and_counts_every_step_from_the_engine_events(world: World, tmp_path: Path) -> None:
    world.deploy("staging")

    code, report = run_drift(tmp_path)

    assert code == 0
    assert report["schema_version"] == 1 and report["command"] == "drift" and report["items"] == []
    summary = report["summary"]
    assert summary["resources_checked"] == resource_count("staging")
    for layer in planned("staging")["layers"]:
        counts = summary["counts"][layer["name"]]
        assert counts["code_state"]["operations"] == {"same": len(layer["resources"])}
        # the fake's summary event says `create` for every resource (pulumi/pulumi#19443): not used
        assert counts["state_cloud"]["operations"] == {"refresh": len(layer["resources"])}


def test_drift_runs_the_automation_api_calls_per_layer_in_deploy_order_and_never_writes(
    world: World, tmp_path: Path
) -> None:
    world.deploy("staging")

    assert run_drift(tmp_path)[0] == 0

    argvs = calls(tmp_path)
    assert argvs[0] == ["version"]
    previews = [a for a in argvs if a[0] == "preview"]
    refreshes = [a for a in argvs if a[0] == "refresh"]
    assert [a[a.index("--stack") + 1] for a in previews] == [
        f"organization/payments-{layer}/staging" for layer in DEPLOY_ORDER
    ]
    assert all(a[a.index("--event-log") + 1].startswith("tcp://127.0.0.1:") for a in previews + refreshes)
    assert all("--preview-only" in a for a in refreshes) and len(refreshes) == len(DEPLOY_ORDER)
    assert not [a for a in argvs if a[0] in ("up", "destroy", "import") or a[:2] == ["stack", "init"]]
    assert sum(a[:2] == ["stack", "export"] and "--show-secrets" in a for a in argvs) == len(DEPLOY_ORDER)


def test_a_property_changed_in_the_cloud_is_drift_with_its_path_and_both_values(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deploy("staging").change_in_cloud("staging", "networking", "network-vpc", "enableDnsHostnames", False)

    code, report = run_drift(tmp_path)

    assert code == 7
    (item,) = report["items"]
    assert item == {
        "comparison": "state_cloud",
        "layer": "networking",
        "left": "staging:state",
        "right": "staging:cloud",
        "resource": "payments-networking::payments:networking:Vpc$aws:ec2/vpc:Vpc::network-vpc",
        "type": "aws:ec2/vpc:Vpc",
        "path": "enableDnsHostnames",
        "left_value": True,
        "right_value": False,
        "kind": "update",
        "declared_by": [],
    }
    assert report["summary"]["counts"]["networking"]["state_cloud"]["operations"]["update"] == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if "enableDnsHostnames" in line)
    assert "network-vpc" in row and "true" in row and "false" in row and "DRIFT" in row


def test_a_resource_deleted_out_of_band_is_reported(world: World, tmp_path: Path) -> None:
    world.deploy("staging").delete_from_cloud("staging", "data", "tables-idempotency")

    code, report = run_drift(tmp_path)

    assert code == 7
    (item,) = items(report, "state_cloud")
    assert (item["layer"], item["path"], item["kind"]) == ("data", None, "delete")
    assert item["resource"].endswith("::tables-idempotency")
    assert (item["left_value"], item["right_value"]) == (True, False)
    assert items(report, "code_state") == []


def test_code_changed_but_not_deployed_is_reported_as_code_vs_state(world: World, tmp_path: Path) -> None:
    world.deploy("staging").change_code("staging", "data", "database-instance", "instanceClass", "db.r5.large")

    code, report = run_drift(tmp_path)

    assert code == 7
    (item,) = report["items"]
    assert (item["comparison"], item["left"], item["right"]) == ("code_state", "staging:state", "staging:code")
    assert (item["path"], item["left_value"], item["right_value"]) == ("instanceClass", "db.t3.medium", "db.r5.large")
    assert report["summary"]["counts"]["data"]["code_state"]["operations"]["update"] == 1


def test_secrets_are_redacted_in_the_terminal_and_the_report(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deploy("staging")
    world.set_secret_config("staging", "data", "data:apiToken", SECRET_TOKEN)
    # a value the stack marks secret, passed on unmarked, then changed in the cloud
    world.change_in_cloud("staging", "data", "database-instance", "tags", {"Note": f"token={SECRET_TOKEN}"})
    parameter = next(
        r for r in planned("staging")["layers"][1]["resources"] if r["urn"].endswith("::function-secrets-key-hash")
    )
    exported_secret = plaintext_secret("staging", parameter["urn"])
    rotated = "plaintext-rotated-in-the-console"
    world.change_in_cloud("staging", "data", "Parameter::function-secrets-key-hash", "value", secret(rotated))

    code, report = run_drift(tmp_path)

    assert code == 7
    out = capsys.readouterr()
    written = (tmp_path / "report.json").read_text()
    for text in (out.out, out.err, written):
        assert SECRET_TOKEN not in text
        assert exported_secret not in text
        assert rotated not in text
    note = next(i for i in report["items"] if i["path"] == "tags.Note")
    assert note["right_value"] == "token=[secret]"
    rotation = next(i for i in report["items"] if i["path"] == "value")
    assert (rotation["left_value"], rotation["right_value"]) == ("[secret]", "[secret]")


def test_a_stack_that_is_not_deployed_is_one_line_exit_2(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deploy("staging").undeploy("staging", "data")

    assert drift.main(["--env", "staging"]) == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert line.startswith("error: organization/payments-data/staging does not exist on file://")


def test_a_missing_file_backend_is_one_line_exit_2(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "nowhere").as_uri())

    assert drift.main(["--env", "staging"]) == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert "does not exist, so nothing is deployed there" in line


def test_drift_needs_aws_credentials(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    world.deploy("staging")

    assert drift.main(["--env", "staging"]) == 2


# --- compare ---------------------------------------------------------------------------------


def run_compare(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "compare.json"
    code = compare_command.main([*args, "--json", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}


def test_deployed_staging_and_prod_differing_only_by_declared_keys_exit_0(world: World, tmp_path: Path) -> None:
    world.deploy("staging").deploy("prod")

    code, report = run_compare(tmp_path)

    assert code == 0
    assert report["source"] == "deployed" and report["environments"] == ["staging", "prod"]
    assert report["items"] and all(item["declared_by"] for item in report["items"])
    offline = compare(Side("staging", "plan", planned("staging")), Side("prod", "plan", planned("prod")))
    assert sorted((i["resource"], i["path"]) for i in report["items"]) == sorted((i.resource, i.path) for i in offline)


def test_an_undeclared_property_in_prod_exits_7_with_path_and_values(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deploy("staging").deploy("prod")
    world.change_state("prod", "networking", "network-vpc", "enableDnsHostnames", False)

    code, report = run_compare(tmp_path, "--left", "staging", "--right", "prod")

    assert code == 7
    (undeclared,) = [item for item in report["items"] if not item["declared_by"]]
    assert (undeclared["path"], undeclared["left_value"], undeclared["right_value"]) == (
        "enableDnsHostnames",
        True,
        False,
    )
    assert (undeclared["left"], undeclared["right"]) == ("staging:deployed", "prod:deployed")
    row = next(line for line in capsys.readouterr().out.splitlines() if "enableDnsHostnames" in line)
    assert "UNDECLARED" in row and "true" in row and "false" in row


def test_compare_redacts_exported_secrets(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world.deploy("staging").deploy("prod")

    run_compare(tmp_path)

    out = capsys.readouterr().out + (tmp_path / "compare.json").read_text()
    assert "plaintext-secret-" not in out


@pytest.mark.parametrize(("left", "right"), neighbours())
def test_compare_of_plans_reproduces_parity(tmp_path: Path, left: str, right: str) -> None:
    code, report = run_compare(tmp_path, "--left", left, "--right", right, "--source", "plan")

    parity = compare(Side(left, "plan", planned(left)), Side(right, "plan", planned(right)))
    assert code == 0
    assert report["items"] == [json.loads(item.model_dump_json()) for item in parity]
    assert (report["source"], report["command"]) == ("plan", "compare")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--left", "prod", "--right", "prod"], "both 'prod'"),
        (["--left", NO_SUCH_ENVIRONMENT], f"unknown environment '{NO_SUCH_ENVIRONMENT}'"),
        (["--source", "cloud"], "unknown SOURCE 'cloud'"),
    ],
)
def test_compare_usage_errors_are_one_line_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compare_command.main(args) == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert line.startswith("error: ") and fragment in line


# --- the make targets, in a copy of the repository -------------------------------------------


@pytest.mark.parametrize(("target", "variables"), [("drift", {"ENV": "staging"}), ("compare", {})])
def test_without_the_cli_make_drift_and_compare_print_one_line_and_exit_2(
    checkout: Checkout, target: str, variables: dict[str, str]
) -> None:
    checkout.env["PATH"] = checkout.env["PATH"].split(os.pathsep, 1)[1]  # drop the fake pulumi

    _assert_refused(checkout.make(target, **variables), "pulumi CLI is not on PATH")


def test_make_drift_reports_and_make_names_exit_code_7(checkout: Checkout, tmp_path: Path) -> None:
    """make turns any failing recipe into its own exit code 2; it names the command's code (`Error 7`),
    and schedulers that branch on the code run `python -m tooling.stacks.drift` (docs/drift.md)."""
    world = World(tmp_path / "world").deploy("staging")
    world.change_in_cloud("staging", "networking", "network-vpc", "enableDnsHostnames", False)
    checkout.env["FAKE_PULUMI_WORLD"] = str(world.root)
    (checkout.root / ".pulumi-state").mkdir()

    result = checkout.make("drift", ENV="staging", JSON=str(tmp_path / "drift.json"))

    assert result.returncode == 2, result.output
    assert "Error 7" in result.stderr
    assert "enableDnsHostnames" in result.stdout
    assert json.loads((tmp_path / "drift.json").read_text())["summary"]["differences"] == 1


# --- the pieces ------------------------------------------------------------------------------


def test_property_paths_resolve_like_the_engine_names_them() -> None:
    value = {"tags": {"a.b": "x", "Name": "n"}, "ingress": [{"cidrBlocks": ["10.0.0.0/8"]}]}
    assert resolve(value, "tags.Name") == "n"
    assert resolve(value, 'tags["a.b"]') == "x"
    assert resolve(value, "ingress[0].cidrBlocks[0]") == "10.0.0.0/8"
    assert resolve(value, "ingress[3]") is not None and resolve(value, "missing.path") is resolve(value, "ingress[3]")


def test_a_refresh_step_without_a_new_state_is_a_resource_gone_from_the_cloud() -> None:
    urn = "urn:pulumi:staging::data::aws:s3/bucket:Bucket::audit-bucket"
    old = {"type": "aws:s3/bucket:Bucket", "urn": urn, "outputs": {"bucket": "audit"}}
    step = StepEventMetadata.from_json({"op": "refresh", "urn": urn, "type": old["type"], "old": old, "new": None})
    reader = StepReader("state_cloud", "data", "staging", state={}, redactor=Redactor(), tally=Tally())

    (item,) = reader.items([step])

    assert (item.kind, item.path, item.left_value, item.right_value) == ("delete", None, True, False)


def test_the_redactor_masks_signed_secrets_secret_outputs_and_secret_config_values() -> None:
    redactor = Redactor(["hunter2-long-secret"])
    resource = {
        "inputs": {"password": secret("p"), "note": "uses hunter2-long-secret here"},
        "outputs": {"token": "plain", "arn": "arn:x"},
        "additionalSecretOutputs": ["token"],
    }
    assert redactor.resource(resource)["inputs"] == {"password": "[secret]", "note": "uses [secret] here"}
    assert redactor.resource(resource)["outputs"] == {"token": "[secret]", "arn": "arn:x"}

"""The real-CLI targets (`make preview|deploy|destroy|outputs`) against a fake `pulumi` on PATH.

Each test runs in a copy of the repo (Makefile, tooling, shared, the layers' stack files, the
real .venv linked in), so stack files can be edited and `.pulumi-state` created without touching
the checkout. The environment is built from scratch: PATH holds only the fake `pulumi` (and the
`python3` its shebang needs), HOME is an empty tmp dir, so neither a real `pulumi` nor a real
~/.aws can leak in. `tests/fake_bin/pulumi` records every call as a JSON line.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.contracts import CONTRACTS, DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from tests.support import NO_SUCH_ENVIRONMENT
from tooling.stacks.preflight import INSTANCE_PROFILE_FLAG, credential_source

REPO = Path(__file__).resolve().parents[2]
FAKE_BIN = REPO / "tests" / "tooling" / "fake_bin"
MAKE = shutil.which("make")
STAMP = ".venv/.setup-complete"
SECURE_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret"}


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def error_lines(self) -> list[str]:
        """stderr without make's own `make: *** ... Error 2` trailer."""
        return [line for line in self.stderr.splitlines() if line.strip() and not line.startswith("make")]


@dataclass
class Checkout:
    root: Path
    env: dict[str, str]
    log: Path

    def make(self, target: str, **variables: str) -> Result:
        """The real Makefile target. `-o` keeps make from re-running setup: the .venv is already set up."""
        assert MAKE, "make is not installed"
        argv = [MAKE, "--no-print-directory", "-o", STAMP, target, *(f"{k}={v}" for k, v in variables.items())]
        return self._run(argv)

    def stacks(self, *args: str) -> Result:
        return self.python("tooling.stacks", *args)

    def python(self, module: str, *args: str) -> Result:
        """`python -m <module> <args>` with the venv's interpreter, in the copy."""
        return self._run([str(self.root / ".venv" / "bin" / "python"), "-m", module, *args])

    def _run(self, argv: list[str]) -> Result:
        done = subprocess.run(
            argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [entry for entry in entries if "event" not in entry]

    def finished(self) -> list[dict[str, Any]]:
        """Calls the fake completed after FAKE_PULUMI_SLEEP (not killed half-way)."""
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [entry for entry in entries if entry.get("event") == "finished"]

    def operations(self, verb: str) -> list[dict[str, Any]]:
        """The layers' calls whose first word is `verb` (`up`, `preview`, `destroy`, `stack`); the
        promotion record stack's are `record_calls`."""
        return [call for call in self.layer_calls() if call["argv"][:1] == [verb]]

    def layer_calls(self) -> list[dict[str, Any]]:
        """Calls of the CLI on the layers' stacks (not `pulumi version`, not the promotion record)."""
        return [call for call in self.calls() if call["stack"] and call["layer"] != "record_stack"]

    def driver_calls(self) -> list[dict[str, Any]]:
        """The layers' calls the driver makes itself (the Automation API's start with --non-interactive)."""
        return [call for call in self.layer_calls() if call["argv"][:1] != ["--non-interactive"]]

    def record_calls(self) -> list[dict[str, Any]]:
        return [call for call in self.calls() if call["layer"] == "record_stack"]

    def set_stack_config(self, env: str, values: dict[str, Any]) -> None:
        for layer in DEPLOY_ORDER:
            path = self.root / layer / f"Pulumi.{env}.yaml"
            document = yaml.safe_load(path.read_text())
            document["config"].update(values)
            path.write_text(yaml.safe_dump(document))


def _copy_repo(root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("Makefile", "pyproject.toml", "uv.lock", ".python-version"):
        shutil.copy2(REPO / name, root / name)
    for package in ("tooling", "shared"):
        shutil.copytree(REPO / package, root / package, ignore=ignore)
    for layer in DEPLOY_ORDER:
        (root / layer).mkdir()
        for stack_file in (REPO / layer).glob("Pulumi*.yaml"):
            shutil.copy2(stack_file, root / layer / stack_file.name)
    (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)


def python_wrapper(directory: Path) -> None:
    """`python3` for the fake's shebang: the venv's interpreter with its packages (the fake's gRPC event
    log needs grpc), and nothing else of the host's PATH. A symlink would lose the venv."""
    wrapper = directory / "python3"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Checkout]:
    root, home, python_bin = tmp_path / "repo", tmp_path / "home", tmp_path / "python-bin"
    for directory in (root, home, python_bin):
        directory.mkdir()
    _copy_repo(root)
    python_wrapper(python_bin)
    log = tmp_path / "pulumi-calls.jsonl"
    env = {
        "PATH": f"{FAKE_BIN}{os.pathsep}{python_bin}",
        "HOME": str(home),
        "COLUMNS": "250",
        "FAKE_PULUMI_LOG": str(log),
        "PULUMI_CONFIG_PASSPHRASE": "test-passphrase",
        **SECURE_KEYS,
    }
    yield Checkout(root, env, log)


def _layers(calls: list[dict[str, Any]]) -> list[str]:
    return [call["layer"] for call in calls]


def _assert_refused(result: Result, *fragments: str) -> None:
    """Exit code 2, exactly one line from the driver, no traceback."""
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.output
    lines = result.error_lines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- order and stack names -------------------------------------------------------------------


def test_make_deploy_runs_every_layer_in_deploy_order(checkout: Checkout) -> None:
    result = checkout.make("deploy", ENV="dev")

    assert result.returncode == 0, result.output
    ups = checkout.operations("up")
    assert _layers(ups) == list(DEPLOY_ORDER)
    for call in ups:
        argv = call["argv"]
        assert call["stack"] == f"organization/payments-{call['layer']}/dev"
        assert argv[argv.index("--cwd") + 1] == str(checkout.root / call["layer"])
        assert {"--yes", "--non-interactive", "--skip-preview"} <= set(argv)
        assert argv[argv.index("--policy-pack") + 1] == str(checkout.root / "policy")


def test_each_stack_is_created_if_missing_before_it_is_used(checkout: Checkout) -> None:
    assert checkout.make("deploy", ENV="staging").returncode == 0

    calls = [c for c in checkout.driver_calls() if c["argv"][:2] != ["stack", "output"]]  # outputs: the record
    assert [c["argv"][:3] for c in calls[::2]] == [["stack", "select", "--create"]] * len(DEPLOY_ORDER)
    assert [(c["layer"], c["stack"]) for c in calls[::2]] == [(c["layer"], c["stack"]) for c in calls[1::2]]


def test_creating_a_stack_writes_its_salt_into_the_stack_file_and_says_to_commit_it(checkout: Checkout) -> None:
    result = checkout.make("deploy", ENV="dev")

    assert result.returncode == 0, result.output
    for layer in DEPLOY_ORDER:
        assert (checkout.root / layer / "Pulumi.dev.yaml").read_text().startswith("encryptionsalt: v1:")
        assert f"note: Pulumi wrote encryptionsalt into {layer}/Pulumi.dev.yaml" in result.stdout
    assert "commit that file" in result.stdout
    again = checkout.make("deploy", ENV="dev")
    assert again.returncode == 0, again.output
    assert "wrote encryptionsalt" not in again.stdout


def test_make_preview_runs_in_deploy_order(checkout: Checkout) -> None:
    result = checkout.make("preview", ENV="staging")

    assert result.returncode == 0, result.output
    previews = checkout.operations("preview")
    assert _layers(previews) == list(DEPLOY_ORDER)
    assert [c["stack"] for c in previews] == [f"organization/payments-{layer}/staging" for layer in DEPLOY_ORDER]
    assert all(c["argv"][c["argv"].index("--policy-pack") + 1] == str(checkout.root / "policy") for c in previews)


def test_make_destroy_runs_in_reverse_order_after_checking_for_protected_resources(checkout: Checkout) -> None:
    result = checkout.make("destroy", ENV="dev")

    assert result.returncode == 0, result.output
    calls = [c for c in checkout.calls() if c["argv"][:2] != ["stack", "select"]]
    assert [c["argv"][:2] for c in calls[:4]] == [["stack", "export"]] * 4
    destroys = checkout.operations("destroy")
    assert calls[4:] == destroys
    assert _layers(destroys) == list(reversed(DEPLOY_ORDER))
    assert all("--yes" in c["argv"] for c in destroys)


def test_stack_org_comes_from_the_stack_files_on_a_cloud_backend(checkout: Checkout) -> None:
    checkout.set_stack_config("dev", {"platform:stackOrg": "acme"})
    checkout.env["PULUMI_BACKEND_URL"] = "https://api.pulumi.com"

    assert checkout.stacks("deploy", "--env", "dev").returncode == 0
    assert [c["stack"] for c in checkout.operations("up")] == [f"acme/payments-{layer}/dev" for layer in DEPLOY_ORDER]


def test_a_custom_stack_org_is_refused_on_a_file_backend(checkout: Checkout) -> None:
    checkout.set_stack_config("dev", {"platform:stackOrg": "acme"})

    _assert_refused(checkout.stacks("preview", "--env", "dev"), "'acme'", "'organization'")
    assert checkout.calls() == []


# --- backend -------------------------------------------------------------------------------------


def test_default_backend_is_a_file_backend_inside_the_repo(checkout: Checkout) -> None:
    result = checkout.make("preview", ENV="dev")

    state = checkout.root / ".pulumi-state"
    assert result.returncode == 0, result.output
    assert state.is_dir()
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in checkout.layer_calls()} == {state.as_uri()}
    assert f"backend: {state.as_uri()} (local file backend inside the repo" in result.stdout
    assert ".pulumi-state/" in (REPO / ".gitignore").read_text().split(), "the state must stay out of git"


def test_pulumi_backend_url_is_respected_when_set(checkout: Checkout) -> None:
    checkout.env["PULUMI_BACKEND_URL"] = "s3://payments-pulumi-state"

    result = checkout.make("deploy", ENV="dev")

    assert result.returncode == 0, result.output
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in checkout.layer_calls()} == {"s3://payments-pulumi-state"}
    assert not (checkout.root / ".pulumi-state").exists()


def test_missing_passphrase_is_one_clear_line(checkout: Checkout) -> None:
    del checkout.env["PULUMI_CONFIG_PASSPHRASE"]

    _assert_refused(checkout.make("deploy", ENV="dev"), "PULUMI_CONFIG_PASSPHRASE", "not set")
    assert checkout.calls() == []


def test_passphrase_file_is_accepted_and_must_exist(checkout: Checkout, tmp_path: Path) -> None:
    del checkout.env["PULUMI_CONFIG_PASSPHRASE"]
    checkout.env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(tmp_path / "missing")
    _assert_refused(checkout.stacks("deploy", "--env", "dev"), "does not exist")

    (tmp_path / "missing").write_text("secret\n")
    assert checkout.stacks("deploy", "--env", "dev").returncode == 0


def test_pulumi_cloud_backend_needs_no_passphrase(checkout: Checkout) -> None:
    del checkout.env["PULUMI_CONFIG_PASSPHRASE"]
    checkout.env["PULUMI_BACKEND_URL"] = "https://api.pulumi.com"
    checkout.set_stack_config("dev", {"platform:stackOrg": "acme"})

    assert checkout.stacks("preview", "--env", "dev").returncode == 0


def test_pulumi_cloud_backend_needs_a_real_org(checkout: Checkout) -> None:
    checkout.env["PULUMI_BACKEND_URL"] = "https://api.pulumi.com"

    _assert_refused(checkout.stacks("preview", "--env", "dev"), "set platform:stackOrg to your Pulumi organization")
    assert not checkout.log.exists()


# --- prod confirmation -------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["deploy", "destroy"])
def test_prod_is_refused_without_confirm_and_nothing_is_called(checkout: Checkout, target: str) -> None:
    _assert_refused(checkout.make(target, ENV="prod"), f"make {target} ENV=prod CONFIRM=prod")
    assert not checkout.log.exists()


def test_a_wrong_confirmation_is_refused(checkout: Checkout) -> None:
    _assert_refused(checkout.make("deploy", ENV="prod", CONFIRM="yes"), "CONFIRM=prod")
    assert not checkout.log.exists()


def test_prod_deploy_with_confirm_shows_the_preview_before_applying(checkout: Checkout) -> None:
    # no staging record here (tests/tooling/test_promotion.py builds one): the gate is overridden
    result = checkout.make("deploy", ENV="prod", CONFIRM="prod", OVERRIDE="cli test without a staging record")

    assert result.returncode == 0, result.output
    ups = checkout.operations("up")
    assert [c["stack"] for c in ups] == [f"organization/payments-{layer}/prod" for layer in DEPLOY_ORDER]
    assert all("--skip-preview" not in c["argv"] and {"--yes", "--diff"} <= set(c["argv"]) for c in ups)


@pytest.mark.parametrize("target", ["preview", "outputs"])
def test_prod_preview_and_outputs_need_no_confirmation(checkout: Checkout, outputs_dir: Path, target: str) -> None:
    result = checkout.make(target, ENV="prod")

    assert result.returncode == 0, result.output
    assert {c["stack"] for c in checkout.layer_calls()} == {
        f"organization/payments-{layer}/prod" for layer in DEPLOY_ORDER
    }


def test_prod_destroy_refuses_protected_data_stores_and_says_how_to_unprotect(
    checkout: Checkout, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    urn = "urn:pulumi:prod::data::aws:rds/instance:Instance::postgres-prod-p01"
    resources = [{"urn": urn, "type": "aws:rds/instance:Instance", "protect": True}]
    (exports / "data.json").write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    checkout.env["FAKE_PULUMI_EXPORTS_DIR"] = str(exports)

    result = checkout.make("destroy", ENV="prod", CONFIRM="prod")

    assert result.returncode == 2, result.output
    assert "pulumi state unprotect --all --yes --cwd data --stack organization/payments-data/prod" in result.stderr
    assert "aws:rds/instance:Instance postgres-prod-p01" in result.stderr
    assert "nothing was destroyed" in result.stderr
    assert checkout.operations("destroy") == []


# --- preflight: ENV, CLI, AWS credentials ----------------------------------------------------


def test_missing_env_is_one_clear_line(checkout: Checkout) -> None:
    _assert_refused(checkout.make("deploy"), "ENV is required", "|".join(ENVIRONMENTS))
    assert not checkout.log.exists()


def test_unknown_env_lists_the_allowed_values(checkout: Checkout) -> None:
    allowed = ", ".join(ENVIRONMENTS)
    _assert_refused(
        checkout.make("preview", ENV=NO_SUCH_ENVIRONMENT), f"unknown environment '{NO_SUCH_ENVIRONMENT}'", allowed
    )
    _assert_refused(checkout.stacks("outputs", "--env", "production"), "'production'", allowed)
    assert not checkout.log.exists()


@pytest.mark.parametrize("via", ["make", "python"])
def test_missing_cli_is_one_clear_line(checkout: Checkout, via: str) -> None:
    checkout.env["PATH"] = checkout.env["PATH"].split(os.pathsep, 1)[1]  # drop the fake pulumi

    result = checkout.make("preview", ENV="dev") if via == "make" else checkout.stacks("preview", "--env", "dev")

    _assert_refused(result, "pulumi CLI is not on PATH", "get.pulumi.com")


def test_missing_aws_credentials_is_one_clear_line(checkout: Checkout) -> None:
    for key in SECURE_KEYS:
        del checkout.env[key]

    _assert_refused(checkout.make("deploy", ENV="dev"), "no AWS credentials found", "AWS_PROFILE")
    assert not checkout.log.exists()


def test_a_key_id_without_its_secret_is_not_credentials(checkout: Checkout) -> None:
    del checkout.env["AWS_SECRET_ACCESS_KEY"]

    _assert_refused(checkout.stacks("preview", "--env", "dev"), "no AWS credentials found")


@pytest.mark.parametrize(
    ("file_name", "section", "profile"),
    [
        ("credentials", "default", None),
        ("credentials", "payments-dev", "payments-dev"),
        ("config", "profile payments-sso", "payments-sso"),
        ("config", "default", None),
    ],
)
def test_a_profile_in_home_aws_counts_as_credentials(
    checkout: Checkout, file_name: str, section: str, profile: str | None
) -> None:
    for key in SECURE_KEYS:
        del checkout.env[key]
    aws = Path(checkout.env["HOME"]) / ".aws"
    aws.mkdir()
    (aws / file_name).write_text(f"[{section}]\nregion = us-east-1\n")
    if profile:
        checkout.env["AWS_PROFILE"] = profile

    result = checkout.stacks("preview", "--env", "dev")

    assert result.returncode == 0, result.output
    assert f"AWS credentials: profile {profile or 'default'!r}" in result.stdout


def test_an_unknown_aws_profile_is_named(checkout: Checkout) -> None:
    checkout.env["AWS_PROFILE"] = "payments-typo"

    _assert_refused(checkout.stacks("deploy", "--env", "dev"), "AWS_PROFILE=payments-typo")
    assert not checkout.log.exists()


@pytest.mark.parametrize(
    "variables",
    [
        {"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci"},
        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"},
    ],
)
def test_web_identity_and_container_credentials_count(checkout: Checkout, variables: dict[str, str]) -> None:
    for key in SECURE_KEYS:
        del checkout.env[key]
    checkout.env.update(variables)

    assert checkout.stacks("preview", "--env", "dev").returncode == 0


def test_localstack_stacks_run_with_fake_credentials(checkout: Checkout) -> None:
    for key in SECURE_KEYS:
        del checkout.env[key]
    checkout.set_stack_config("dev", {"platform:localstackEndpoint": "http://localhost:4566"})

    result = checkout.make("deploy", ENV="dev")

    assert result.returncode == 0, result.output
    assert {c["env"].get("AWS_ACCESS_KEY_ID") for c in checkout.layer_calls()} == {"test"}


def test_outputs_needs_the_cli_but_no_aws_credentials(checkout: Checkout, outputs_dir: Path) -> None:
    for key in SECURE_KEYS:
        del checkout.env[key]

    assert checkout.make("outputs", ENV="dev").returncode == 0
    assert _layers(checkout.operations("stack")) == list(DEPLOY_ORDER)

    checkout.env["PATH"] = checkout.env["PATH"].split(os.pathsep, 1)[1]
    _assert_refused(checkout.make("outputs", ENV="dev"), "pulumi CLI is not on PATH")


# --- failures ------------------------------------------------------------------------------------


def test_deploy_stops_at_the_first_failing_layer(checkout: Checkout) -> None:
    checkout.env["FAKE_PULUMI_FAIL_LAYER"] = "data"

    result = checkout.make("deploy", ENV="dev")

    assert result.returncode != 0
    assert "Traceback" not in result.output
    assert "error: deploy stopped at layer data (organization/payments-data/dev)" in result.stderr
    assert "not run: application, observability" in result.stderr
    assert _layers(checkout.driver_calls()) == ["networking", "networking", "data", "data"]


def test_destroy_stops_at_the_first_failing_layer_in_reverse_order(checkout: Checkout) -> None:
    checkout.env["FAKE_PULUMI_FAIL_LAYER"] = "application"

    result = checkout.stacks("destroy", "--env", "dev")

    assert result.returncode == 1
    assert "error: destroy stopped at layer application" in result.stderr
    assert _layers(checkout.operations("destroy")) == ["observability", "application"]


def test_a_failing_check_before_destroy_destroys_nothing(checkout: Checkout) -> None:
    checkout.env.update(FAKE_PULUMI_FAIL_LAYER="data", FAKE_PULUMI_FAIL_COMMAND="stack export")

    result = checkout.stacks("destroy", "--env", "dev")

    assert result.returncode == 1
    assert "nothing was destroyed" in result.stderr
    assert checkout.operations("destroy") == []


def test_ctrl_c_lets_pulumi_finish_and_stops_before_the_next_layer(checkout: Checkout) -> None:
    checkout.env["FAKE_PULUMI_SLEEP"] = "1"
    python = str(checkout.root / ".venv" / "bin" / "python")
    process = subprocess.Popen(
        [python, "-m", "tooling.stacks", "deploy", "--env", "dev"],
        cwd=checkout.root,
        env=checkout.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not checkout.operations("up") and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 1, stderr
    assert "deploy stopped at layer networking" in stderr
    assert "interrupted" in stderr
    driver = [c for c in checkout.finished() if c["argv"][:1] != ["--non-interactive"]]
    assert [(c["argv"][0], c["layer"]) for c in driver] == [("up", "networking")]
    assert {c["layer"] for c in checkout.driver_calls()} == {"networking"}


# --- outputs -------------------------------------------------------------------------------------


def _contract_outputs(layer: str) -> dict[str, Any]:
    return {key: f"{layer}-{key}-value" for key in CONTRACTS[layer].exports}


@pytest.fixture
def outputs_dir(tmp_path: Path, checkout: Checkout) -> Path:
    directory = tmp_path / "outputs"
    directory.mkdir()
    for layer in DEPLOY_ORDER:
        (directory / f"{layer}.json").write_text(json.dumps(_contract_outputs(layer)))
    checkout.env["FAKE_PULUMI_OUTPUTS_DIR"] = str(directory)
    return directory


def test_outputs_shows_values_descriptions_and_readers(checkout: Checkout, outputs_dir: Path) -> None:
    result = checkout.make("outputs", ENV="dev")

    assert result.returncode == 0, result.output
    assert [c["argv"][:3] for c in checkout.calls()] == [["stack", "output", "--json"]] * len(DEPLOY_ORDER)
    lines = result.stdout.splitlines()
    for layer in DEPLOY_ORDER:
        assert f"organization/payments-{layer}/dev" in result.stdout
        for key, description in CONTRACTS[layer].exports.items():
            row = next(line for line in lines if f"{layer}-{key}-value" in line)
            assert description[:40] in row
            readers = CONTRACTS[layer].readers_of(key)
            assert (", ".join(readers) if readers else " - ") in row
    read_keys = [key for key in CONTRACTS["networking"].exports if CONTRACTS["networking"].readers_of(key)]
    assert read_keys, "the contract says no layer reads networking: the readers column went untested"


def test_outputs_flags_missing_and_unlisted_keys(checkout: Checkout, outputs_dir: Path) -> None:
    networking = _contract_outputs("networking")
    del networking["vpcId"]
    networking["debugOnly"] = "x"
    (outputs_dir / "networking.json").write_text(json.dumps(networking))

    result = checkout.stacks("outputs", "--env", "dev")

    assert result.returncode == 1
    vpc_row = next(line for line in result.stdout.splitlines() if " vpcId " in line)
    assert "MISSING" in vpc_row
    extra_row = next(line for line in result.stdout.splitlines() if "debugOnly" in line)
    assert "NOT IN CONTRACT" in extra_row
    assert "networking.vpcId (missing), networking.debugOnly (extra)" in result.stderr


def test_outputs_of_a_stack_that_is_not_deployed_names_the_layer(checkout: Checkout) -> None:
    checkout.env["FAKE_PULUMI_FAIL_LAYER"] = "networking"

    result = checkout.make("outputs", ENV="staging")

    assert result.returncode != 0
    assert "outputs stopped at layer networking (organization/payments-networking/staging)" in result.stderr
    assert _layers(checkout.calls()) == ["networking"]


def test_help_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tooling.stacks", "--help"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "{preview,deploy,destroy,outputs}" in done.stdout


# --- the credential chain, in-process -------------------------------------------------------


def test_credential_files_named_by_the_environment_are_read(tmp_path: Path) -> None:
    credentials = tmp_path / "creds.ini"
    credentials.write_text("[ci]\naws_access_key_id = AKIA\n")
    environ = {"AWS_PROFILE": "ci", "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}

    assert credential_source(environ, tmp_path) == f"profile 'ci' in {credentials}"
    assert credential_source({"AWS_PROFILE": "ci"}, tmp_path) is None


def test_a_malformed_aws_config_counts_as_no_credentials(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("not an ini file\n[default\n")

    assert credential_source({}, tmp_path) is None


def test_the_instance_profile_escape_hatch_needs_an_explicit_1(tmp_path: Path) -> None:
    assert credential_source({INSTANCE_PROFILE_FLAG: "1"}, tmp_path)
    assert credential_source({INSTANCE_PROFILE_FLAG: "yes"}, tmp_path) is None

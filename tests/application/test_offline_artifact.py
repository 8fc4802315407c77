"""Offline means offline: a current Lambda artifact needs no network at all, and a zip that cannot be
built for lack of a package index stops the plan with one line saying what is needed."""

import socket
from pathlib import Path
from typing import Any

import pytest

from application import artifact
from tests.support import run_layer
from tooling.checks import plan_files as plan_command

UNRESOLVABLE_INDEX = "http://pypi.invalid/simple"  # .invalid never resolves (RFC 2606)


def _offline_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip sees only an index that cannot resolve: no config file, no find-links, no extra index."""
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", UNRESOLVABLE_INDEX)
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)


def _refuse_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on every attempt to reach beyond loopback, by this process or by a process the builder
    starts, is refused; the list records them."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1", None):
            attempts.append(f"resolve {host}")
            raise socket.gaierror(f"no network in this test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    builder = artifact._builder()
    real_run = builder.subprocess.run

    def run(command: list[str], *args: Any, **kwargs: Any) -> Any:
        attempts.append(" ".join(map(str, command)))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(builder.subprocess, "run", run)
    _offline_pip(monkeypatch)
    return attempts


def test_a_current_artifact_plans_with_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    built = artifact.lambda_artifact()  # the zip as the first `make plan` leaves it (PyPI once)
    attempts = _refuse_network(monkeypatch)

    run = run_layer("application", "dev")

    functions = [r for r in run.resources if r["type"] == "aws:lambda/function:Function"]
    assert functions and all(f["inputs"]["sourceCodeHash"] == built.sha256_base64 for f in functions)
    assert attempts == []


@pytest.fixture
def stale_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real builder with no zip and no cached dependencies: the next plan must build from an index."""
    builder = artifact._builder()
    monkeypatch.setattr(builder, "OUTPUT", tmp_path / "lambda" / "payments.zip")
    monkeypatch.setattr(builder, "INPUTS_RECORD", tmp_path / "lambda" / "payments.zip.inputs.json")
    monkeypatch.setattr(builder, "DEPS_CACHE", tmp_path / "lambda" / "deps")
    return builder


def test_without_a_package_index_make_plan_stops_in_one_line(
    stale_builder: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _offline_pip(monkeypatch)
    monkeypatch.setenv("COLUMNS", "80")  # a narrow terminal must not fold the line

    assert plan_command.main(["dev"]) == 1

    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()
    assert out.strip().splitlines() == [
        "artifact: payments.zip is missing or was built from other sources; building it",
        f"dependencies: installing {', '.join(stale_builder.lambda_requirements())} for linux arm64 / CPython 3.11",
    ]
    assert line.startswith(
        "plan dev failed: cannot build the Lambda artifact payments.zip: pip could not install its dependencies"
    )
    assert UNRESOLVABLE_INDEX in line and "PIP_INDEX_URL" in line and "PyPI" in line
    assert not stale_builder.OUTPUT.exists()
    assert list(stale_builder.DEPS_CACHE.iterdir()) == []  # nothing half-installed is taken for a cache

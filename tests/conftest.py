"""Fixtures shared by the infrastructure test suites, and the directory the pytest-xdist workers of one
run share their expensive results in (tests/across_workers.py)."""

import os
import shutil
import tempfile

import pulumi
import pytest

from tests.across_workers import SHARED_DIR_VARIABLE


def pytest_configure(config: pytest.Config) -> None:
    """On the xdist controller, before the workers start (they inherit the environment)."""
    if config.getoption("numprocesses", default=None) and "PYTEST_XDIST_WORKER" not in os.environ:
        os.environ[SHARED_DIR_VARIABLE] = tempfile.mkdtemp(prefix="payments-tests-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ and SHARED_DIR_VARIABLE in os.environ:
        shutil.rmtree(os.environ.pop(SHARED_DIR_VARIABLE), ignore_errors=True)


@pytest.fixture
def declared(monkeypatch):
    """Type and name of every resource (and provider) the program tried to declare."""
    names: list[str] = []
    original = pulumi.Resource.__init__

    def recording_init(self, t, name, *args, **kwargs):
        names.append(f"{t}::{name}")
        original(self, t, name, *args, **kwargs)

    monkeypatch.setattr(pulumi.Resource, "__init__", recording_init)
    return names

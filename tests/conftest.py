"""Fixtures shared by the infrastructure test suites."""

import pulumi
import pytest


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

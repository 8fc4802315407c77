"""Fixtures of the tests that run the payment handlers against the plan: a real PostgreSQL (TLS,
test-only CA) and a moto server, started only when such a test runs."""

from __future__ import annotations

from testkit.fixtures import moto_endpoint, postgres

__all__ = ["moto_endpoint", "postgres"]

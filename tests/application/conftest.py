"""Fixtures of the tests that run the payment handlers against the plan: a real PostgreSQL (TLS,
test-only CA) and a moto server, started only when such a test runs."""

from __future__ import annotations

import os

# Read by Powertools when the handler modules are imported (Logger, Tracer, Metrics are module-level):
# outside Lambda there is no X-Ray daemon to send traces to.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from testkit.fixtures import moto_endpoint, postgres

__all__ = ["moto_endpoint", "postgres"]

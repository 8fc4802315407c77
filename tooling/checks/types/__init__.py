"""`make plan` and `python -m tooling.checks.types [ENV ...]`: every planned input checked against the
installed Pulumi SDKs' own types, as a provider's check step at `pulumi preview` would.

For each custom resource (and provider) of an offline plan, every input property is matched to its
SDK argument or nested input key and checked for unknown names and missing required keys at any
depth, value shapes (string, number, boolean, list, object, free-form map) and declared enum values.
Types are read at run time from the installed SDK (`shapes`, `sdk`), never from a table here.
"""

from tooling.checks.types.check import Finding, check_plan, report

__all__ = ["Finding", "check_plan", "report"]

"""`make plan`, `make check` and `python -m tooling.checks.limits [ENV ...]`: AWS's hard limits and default
quotas (quotas.yaml, each with its AWS documentation page) held against every offline plan, so that a plan
AWS would refuse at `pulumi up` fails offline, naming the resource, the figure and the limit."""

from tooling.checks.limits.check import Finding, Limit, Result, check_plan, known_limits, report

__all__ = ["Finding", "Limit", "Result", "check_plan", "known_limits", "report"]

"""`python -m tooling.checks.types [ENV ...]`: every planned input of each environment (all of them when
none) checked against the installed Pulumi SDKs' own types; exit 1 on any finding (`make plan` runs it too)."""

import sys

from tooling.checks.cli import environments_parser, run_per_environment
from tooling.checks.types.check import report

parser = environments_parser("python -m tooling.checks.types", __doc__ or "")
sys.exit(run_per_environment(parser.parse_args(sys.argv[1:]).environments, report))

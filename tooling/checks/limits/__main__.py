"""`python -m tooling.checks.limits [ENV ...]`: each environment's plan (all of them when none) held against
AWS's hard limits and default quotas (quotas.yaml), with the figure closest to each limit; exit 1 when a
limit is exceeded (`make plan` runs the same check)."""

import sys
from functools import partial

from tooling.checks.cli import environments_parser, run_per_environment
from tooling.checks.limits.check import report

parser = environments_parser("python -m tooling.checks.limits", __doc__ or "")
sys.exit(run_per_environment(parser.parse_args(sys.argv[1:]).environments, partial(report, headroom=True)))

import sys
from functools import partial

from tooling.checks.cli import run_per_environment
from tooling.checks.limits.check import report

sys.exit(run_per_environment(sys.argv[1:], partial(report, headroom=True)))

import sys

from tooling.checks.cli import run_per_environment
from tooling.checks.types.check import report

sys.exit(run_per_environment(sys.argv[1:], report))

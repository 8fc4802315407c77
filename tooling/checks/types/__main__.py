import sys

from tooling.checks.types.check import report
from tooling.cli import run_per_environment

sys.exit(run_per_environment(sys.argv[1:], report))

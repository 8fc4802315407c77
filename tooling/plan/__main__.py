import sys

from tooling.plan.command import main

sys.exit(main(sys.argv[1:]))

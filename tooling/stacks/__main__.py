"""`python -m tooling.stacks preview|deploy|destroy|outputs --env <env>` (the make targets)."""

import sys

from tooling.stacks.driver import main

if __name__ == "__main__":
    sys.exit(main())

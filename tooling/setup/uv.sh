#!/usr/bin/env bash
# Installs the pinned uv into DIR (usage: uv.sh VERSION DIR): the one tool `make` needs beyond python3
# and its pip. uv is a single binary inside a PyPI wheel, so any python3 with pip brings it, whatever
# its version; `pip install --target` needs neither a virtualenv nor write access outside DIR.
set -euo pipefail
version=$1
dir=$2
python=${BOOTSTRAP_PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore  # root in CI and containers: pip must not warn into make's output

if "$dir/bin/uv" --version 2>/dev/null | grep -qx "uv $version.*"; then
    exit 0
fi
if ! "$python" -m pip --version >/dev/null 2>&1; then
    echo "make needs uv $version: install it (pip install uv==$version, or your package manager's uv) and run make UV=uv, or install pip for $python (Debian/Ubuntu: apt-get install python3-pip)" >&2
    exit 1
fi
staging="$dir.partial"
rm -rf "$staging"
if ! "$python" -m pip install --quiet --quiet --disable-pip-version-check --no-warn-script-location \
    --target "$staging" "uv==$version"; then
    rm -rf "$staging"
    echo "could not install uv $version from PyPI with $python -m pip: set PIP_INDEX_URL to a mirror, or install uv yourself and run make UV=uv" >&2
    exit 1
fi
rm -rf "$dir"
mv "$staging" "$dir"

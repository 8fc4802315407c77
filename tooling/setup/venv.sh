#!/usr/bin/env bash
# Creates or repairs a virtualenv with uv (usage: venv.sh UV project|checkov DIR).
#   project: DIR gets the packages of uv.lock (every dependency group), the project itself editable;
#   checkov: DIR gets constraints-checkov.txt, checkov's own lock (it cannot share the project's boto3).
# The interpreter is the Python of .python-version (or PYTHON=, if set) that uv finds on PATH or among
# the Pythons it manages, or else downloads where it has internet. A virtualenv built with any other
# Python is rebuilt, never patched: nothing is left half-installed for the next run to trip on.
set -euo pipefail
uv=$1
kind=$2
dir=$3
cd "$(dirname "$0")/../.."
wanted=$(cat .python-version)
export UV_NO_PROGRESS=1

minor_of() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

install_hint="install Python $wanted (Debian/Ubuntu: apt-get install python$wanted python$wanted-venv; Fedora/RHEL: dnf install python$wanted; macOS: brew install python@$wanted; pyenv: pyenv install $wanted) or name one with PYTHON=/path/to/python$wanted"
if [ -n "${PYTHON:-}" ]; then
    if ! interpreter=$("$uv" python find --no-project "$PYTHON" 2>/dev/null); then
        echo "PYTHON=$PYTHON is not a Python interpreter uv can find: $install_hint" >&2
        exit 1
    fi
elif ! interpreter=$("$uv" python find --no-project "$wanted" 2>/dev/null); then
    # None installed: uv downloads one where there is internet (and says so); else one line, nothing built.
    if ! downloaded=$("$uv" python install "$wanted" 2>&1) ||
        ! interpreter=$("$uv" python find --no-project "$wanted" 2>/dev/null); then
        echo "Python $wanted is needed: none is on PATH and uv could not download one (no internet?): $install_hint" >&2
        exit 1
    fi
    echo "$downloaded" >&2
fi
found=$(minor_of "$interpreter")
if [ "$found" != "$wanted" ]; then
    echo "$interpreter is Python $found, but this project runs on Python $wanted (the Lambda runtime's): $install_hint" >&2
    exit 1
fi

if [ -e "$dir" ] && [ "$(minor_of "$dir/bin/python")" != "$wanted" ]; then
    echo "$dir was not built with Python $wanted: rebuilding it" >&2
    rm -rf "$dir"
fi
case "$kind" in
project)
    UV_PROJECT_ENVIRONMENT="$dir" "$uv" sync --quiet --locked --python "$interpreter"
    ;;
checkov)
    [ -x "$dir/bin/python" ] || "$uv" venv --quiet --python "$interpreter" "$dir"
    "$uv" pip sync --quiet --python "$dir/bin/python" constraints-checkov.txt
    ;;
*)
    echo "venv.sh: unknown kind $kind (project or checkov)" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Installs the Debian packages the test suites need (a real PostgreSQL server), once.
# Idempotent: does nothing when the server binaries are already on the machine.
set -euo pipefail

# Graphviz's `dot` draws `make graph` (and its test).
if ! command -v dot >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "Graphviz is missing: install the package 'graphviz' (Debian/Ubuntu: apt-get install graphviz, as root; macOS: brew install graphviz; RHEL: dnf install graphviz)." >&2
        exit 1
    fi
    echo "Installing Graphviz (Debian package 'graphviz') for make graph..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
fi

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL server binaries are missing: install the Debian package 'postgresql' (needs root and apt-get)." >&2
    exit 1
fi
echo "Installing PostgreSQL server (Debian package 'postgresql') for the payment function tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null

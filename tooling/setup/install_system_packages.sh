#!/usr/bin/env bash
# What the tests and `make graph` need from the system, once: Graphviz's `dot`, and the PostgreSQL server
# the payment tests start. Idempotent: nothing to do when they are installed (PostgreSQL where
# functions/testkit/pg_bin.py looks: PG_BIN, PATH, pg_config, Homebrew, PGDG, Debian). Else, as root
# with apt-get (Debian/Ubuntu, CI), installs the Debian packages; anywhere else, says what to install
# in one line.
set -euo pipefail
cd "$(dirname "$0")/../.."

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

if missing=$(python3 functions/testkit/pg_bin.py 2>&1 >/dev/null); then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "$missing" >&2
    exit 1
fi
echo "Installing PostgreSQL server (Debian package 'postgresql') for the payment function tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null

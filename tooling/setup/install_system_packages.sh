#!/usr/bin/env bash
# The PostgreSQL server the payment tests start, once. Idempotent: nothing to do when one is installed
# where functions/testkit/pg_bin.py looks (PG_BIN, PATH, pg_config, Homebrew, PGDG, Debian). Else,
# as root with apt-get (Debian/Ubuntu, CI), installs Debian's `postgresql`; anywhere else, says what to
# install in one line.
set -euo pipefail
cd "$(dirname "$0")/../.."

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

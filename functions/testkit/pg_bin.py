"""Where the PostgreSQL server binaries (initdb, pg_ctl, postgres) live on this machine.

Looked for in this order, the first directory that has all three winning:
  1. PG_BIN, when set (and then nothing else: a wrong PG_BIN is an error, not a hint);
  2. `initdb` on PATH (Fedora/RHEL's postgresql-server, a linked Homebrew formula, Postgres.app...);
  3. `pg_config --bindir`;
  4. Homebrew's keg-only formulae: <prefix>/opt/postgresql@N/bin under /opt/homebrew and /usr/local;
  5. the PGDG packages of RHEL and friends: /usr/pgsql-N/bin;
  6. Debian and Ubuntu: /usr/lib/postgresql/N/bin.
Within 4-6 the newest major version wins. Standard library only, so that the setup script can ask it
with any python3 before the project's virtualenv exists: `python3 functions/testkit/pg_bin.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
# (where, glob under the file-system root): installed layouts whose bin directories carry a version.
VERSIONED_LAYOUTS = (
    ("Homebrew", "opt/homebrew/opt/postgresql@*/bin"),
    ("Homebrew", "usr/local/opt/postgresql@*/bin"),
    ("PGDG", "usr/pgsql-*/bin"),
    ("Debian", "usr/lib/postgresql/*/bin"),
)
INSTALL_HINT = (
    "install a PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; Fedora/RHEL: dnf install "
    "postgresql-server; macOS: brew install postgresql@17) or set PG_BIN to the directory holding initdb"
)


class PostgresNotFoundError(RuntimeError):
    """No directory with initdb, pg_ctl and postgres: one line saying where it looked and what to install."""


def is_server_dir(directory: Path) -> bool:
    return all(os.access(directory / program, os.X_OK) for program in SERVER_PROGRAMS)


def _major(directory: Path) -> tuple[int, ...]:
    """The version in a bin directory's path (postgresql@17, pgsql-16, postgresql/15), as a sort key."""
    found = re.search(r"(\d+(?:\.\d+)*)/bin$", directory.as_posix())
    return tuple(int(part) for part in found[1].split(".")) if found else ()


def candidates(environ: Mapping[str, str], root: Path) -> Iterator[tuple[str, Path]]:
    """(where, bin directory) in the order they are tried; `root` is the file system's root."""
    on_path = shutil.which("initdb", path=environ.get("PATH", ""))
    if on_path:
        yield "PATH", Path(on_path).resolve().parent
    pg_config = shutil.which("pg_config", path=environ.get("PATH", ""))
    if pg_config:
        answer = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.strip():
            yield "pg_config --bindir", Path(answer.stdout.strip())
    for where, pattern in VERSIONED_LAYOUTS:
        for directory in sorted(root.glob(pattern), key=_major, reverse=True):
            yield where, directory


def server_bin_dir(environ: Mapping[str, str] = os.environ, root: Path = Path("/")) -> Path:
    """The bin directory of the PostgreSQL server the tests start; PostgresNotFoundError when none."""
    explicit = environ.get("PG_BIN")
    if explicit:
        if not is_server_dir(Path(explicit)):
            raise PostgresNotFoundError(
                f"PG_BIN={explicit} does not hold {', '.join(SERVER_PROGRAMS)}: point it at a PostgreSQL server's "
                "bin directory, or unset it to search PATH, pg_config, Homebrew, PGDG and Debian"
            )
        return Path(explicit)
    looked: list[str] = []
    for where, directory in candidates(environ, root):
        if is_server_dir(directory):
            return directory
        looked.append(f"{where} ({directory})")
    searched = ", ".join(looked) or "nothing found on PATH, by pg_config, or under Homebrew, PGDG or Debian paths"
    raise PostgresNotFoundError(
        f"PostgreSQL server binaries ({', '.join(SERVER_PROGRAMS)}) not found ({searched}): {INSTALL_HINT}"
    )


if __name__ == "__main__":
    try:
        print(server_bin_dir())
    except PostgresNotFoundError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)

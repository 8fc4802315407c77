"""Where the tests find the PostgreSQL server: PG_BIN, PATH, pg_config, Homebrew, PGDG, Debian, in
that order, over fake bin directories laid out as each platform installs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testkit import pg_bin
from testkit.pg_bin import PostgresNotFoundError, server_bin_dir

PG_BIN_SCRIPT = Path(pg_bin.__file__)


def _server(directory: Path, programs: tuple[str, ...] = pg_bin.SERVER_PROGRAMS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for program in programs:
        (directory / program).write_text("#!/bin/sh\nexit 0\n")
        (directory / program).chmod(0o755)
    return directory


def _pg_config(path_dir: Path, bindir: Path) -> None:
    path_dir.mkdir(parents=True, exist_ok=True)
    script = path_dir / "pg_config"
    script.write_text(f'#!/bin/sh\n[ "$1" = --bindir ] && echo "{bindir}"\n')
    script.chmod(0o755)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A file-system root with every layout installed: Debian, PGDG, Homebrew (both prefixes)."""
    fs = tmp_path / "fs"
    for layout in (
        "usr/lib/postgresql/13/bin",
        "usr/lib/postgresql/16/bin",
        "usr/pgsql-15/bin",
        "usr/local/opt/postgresql@14/bin",
        "opt/homebrew/opt/postgresql@9.6/bin",
        "opt/homebrew/opt/postgresql@17/bin",
    ):
        _server(fs / layout)
    return fs


def test_the_order_is_pg_bin_path_pg_config_homebrew_pgdg_debian(root: Path, tmp_path: Path) -> None:
    on_path = _server(tmp_path / "path-bin")
    configured = _server(tmp_path / "pg-config-bin")
    tools = tmp_path / "tools"
    _pg_config(tools, configured)
    chosen = _server(tmp_path / "chosen")
    everything = {"PATH": f"{tools}:{on_path}", "PG_BIN": str(chosen)}

    assert server_bin_dir(everything, root) == chosen
    assert server_bin_dir({"PATH": f"{tools}:{on_path}"}, root) == on_path
    assert server_bin_dir({"PATH": str(tools)}, root) == configured
    assert server_bin_dir({"PATH": ""}, root) == root / "opt/homebrew/opt/postgresql@17/bin"
    for homebrew in ("opt/homebrew", "usr/local"):
        for keg in (root / homebrew / "opt").iterdir():
            (keg / "bin" / "initdb").unlink()
    assert server_bin_dir({"PATH": ""}, root) == root / "usr/pgsql-15/bin"
    (root / "usr/pgsql-15/bin/initdb").unlink()
    assert server_bin_dir({"PATH": ""}, root) == root / "usr/lib/postgresql/16/bin"


def test_the_newest_version_of_a_layout_wins(tmp_path: Path) -> None:
    fs = tmp_path / "fs"
    for version in ("9.6", "10", "17", "16"):
        _server(fs / f"opt/homebrew/opt/postgresql@{version}/bin")
    assert server_bin_dir({"PATH": ""}, fs) == fs / "opt/homebrew/opt/postgresql@17/bin"


def test_initdb_on_path_is_followed_to_its_real_directory(root: Path, tmp_path: Path) -> None:
    """Debian puts no initdb on PATH; a symlink to it (as /usr/local/bin/initdb here) points at the
    directory that also holds postgres and pg_ctl."""
    links = tmp_path / "links"
    links.mkdir()
    (links / "initdb").symlink_to(root / "usr/lib/postgresql/13/bin/initdb")
    assert server_bin_dir({"PATH": str(links)}, root) == root / "usr/lib/postgresql/13/bin"


def test_a_directory_without_every_server_program_is_passed_over(tmp_path: Path) -> None:
    """A client-only install (psql and initdb, no postgres) on PATH does not stop the search."""
    client_only = _server(tmp_path / "client", ("initdb", "pg_ctl"))
    fs = tmp_path / "fs"
    debian = _server(fs / "usr/lib/postgresql/15/bin")
    assert server_bin_dir({"PATH": str(client_only)}, fs) == debian


def test_a_wrong_pg_bin_is_an_error_not_a_hint(root: Path, tmp_path: Path) -> None:
    with pytest.raises(PostgresNotFoundError) as refused:
        server_bin_dir({"PATH": "", "PG_BIN": str(tmp_path)}, root)
    assert str(refused.value).startswith(f"PG_BIN={tmp_path} does not hold initdb, pg_ctl, postgres")


def test_nothing_found_says_where_it_looked_and_what_to_install(tmp_path: Path) -> None:
    client_only = _server(tmp_path / "client", ("initdb",))
    with pytest.raises(PostgresNotFoundError) as refused:
        server_bin_dir({"PATH": str(client_only)}, tmp_path / "empty")
    message = str(refused.value)
    assert "\n" not in message
    assert f"PATH ({client_only})" in message
    for install in ("apt-get install postgresql", "dnf install postgresql-server", "brew install postgresql@"):
        assert install in message
    assert "PG_BIN" in message


def test_the_setup_script_asks_with_any_python3_before_the_venv_exists(tmp_path: Path) -> None:
    """`python3 functions/testkit/pg_bin.py` runs on the standard library alone (no site-packages)."""
    found = subprocess.run(
        [sys.executable, "-S", "-I", str(PG_BIN_SCRIPT)],
        env={"PATH": "", "PG_BIN": str(_server(tmp_path / "bin"))},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (found.returncode, found.stdout.strip()) == (0, str(tmp_path / "bin"))
    refused = subprocess.run(
        [sys.executable, "-S", "-I", str(PG_BIN_SCRIPT)],
        env={"PATH": "", "PG_BIN": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1

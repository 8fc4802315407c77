"""Versioned SQL migrations (payments/migrations/NNNN_name.sql), applied once each, in order.

Applied inside one transaction under an advisory lock, so concurrent cold starts serialize and a
failed migration leaves nothing half-applied. Each applied file's sha256 is recorded: editing a
migration after it ran is refused (add a new file instead).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from msgspec import Struct

from payments.pg import transaction

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Arbitrary constant shared by every process that migrates this database.
_ADVISORY_LOCK_ID = 0x5041_594D_454E_5453  # "PAYMENTS"


class MigrationError(RuntimeError):
    """The database's migration history does not match the files shipped with this code."""


class Migration(Struct, frozen=True):
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    migrations = []
    for entry in resources.files("payments.migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            migrations.append(Migration(match.group(1), match.group(2), entry.read_text(encoding="utf-8")))
        elif entry.name.endswith(".sql"):
            raise MigrationError(f"migration file {entry.name} must be named NNNN_lowercase_name.sql")
    migrations.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return migrations


def apply_migrations(connection: Any, then: Callable[[Any], None] | None = None) -> list[str]:
    """Apply the pending migrations through a pg8000 native connection; return the versions applied.

    `then(connection)` runs after them in the same transaction, under the same lock (the grants).
    """
    applied_now: list[str] = []
    with transaction(connection):
        connection.run("SELECT pg_advisory_xact_lock(:lock)", lock=_ADVISORY_LOCK_ID)
        connection.run(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = dict(connection.run("SELECT version, checksum FROM schema_migrations"))
        for migration in load_migrations():
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version}_{migration.name} changed after it was applied: "
                        "restore the original file and put the change in a new migration"
                    )
                continue
            connection.run(migration.sql)
            connection.run(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (:version, :name, :checksum)",
                version=migration.version,
                name=migration.name,
                checksum=migration.checksum,
            )
            applied_now.append(migration.version)
        if then is not None:
            then(connection)
    return applied_now

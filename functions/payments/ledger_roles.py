"""The ledger writer role: what the settlement worker connects as, provisioned by the migration step.

The owner (the role that runs the migrations, on RDS the master user) owns every object. The
writer may connect, SELECT and INSERT the ledger tables, claim notifications and withdraw the
claims its own open transaction made (`release_notification_claims`), nothing else: it
cannot UPDATE, DELETE or TRUNCATE, cannot ALTER a table or disable its triggers (only the owner
can), and cannot create objects (no CREATE on the schema, no TEMPORARY on the database, for
PUBLIC either). PUBLIC holds nothing on the ledger's tables and sequences, so a grant to PUBLIC
(grant drift) never reaches the writer past the next deploy. Provisioning is idempotent: every
deploy resets the role's attributes, memberships and grants, and PUBLIC's, to exactly this.

The writer signs in with IAM only: it is a member of `rds_iam` (RDS then accepts nothing but an
IAM token for it) and has no password (`PASSWORD NULL` also clears one an earlier version set).
"""

from __future__ import annotations

import re
from typing import Any

WRITER_TABLES: tuple[str, ...] = ("ledger_entries", "settlements", "settlement_notifications")
WRITER_PRIVILEGES = "SELECT, INSERT"
# Withdraws claims of the calling transaction only (payments/migrations/0003_release_notification_claims.sql).
WRITER_FUNCTIONS: tuple[str, ...] = ("release_notification_claims(uuid[])",)
IAM_AUTHENTICATION_ROLE = "rds_iam"  # RDS's: its members sign in with IAM tokens only
ROLE_NAME_PATTERN = r"^[a-z_][a-z0-9_]{0,62}\Z"  # an unquoted PostgreSQL identifier (DB_WRITER_USER too)


class RoleProvisioningError(RuntimeError):
    """The writer role cannot be provisioned as asked (bad name, the owner itself, no IAM authentication)."""


def _quoted(connection: Any, identifier: str) -> str:
    ((quoted,),) = connection.run("SELECT quote_ident(CAST(:name AS text))", name=identifier)
    return str(quoted)


def _role_exists(connection: Any, name: str) -> bool:
    return bool(connection.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=name))


def provision_writer(connection: Any, username: str) -> None:
    """Create or update the writer role and reset its grants; call inside the migration transaction."""
    if not re.match(ROLE_NAME_PATTERN, username):
        raise RoleProvisioningError("the writer role name must be lowercase letters, digits and _ (at most 63)")
    ((current,),) = connection.run("SELECT current_user")
    if current == username:
        raise RoleProvisioningError("DB_WRITER_USER names the owner role itself: give the writer its own user")
    if not _role_exists(connection, IAM_AUTHENTICATION_ROLE):
        raise RoleProvisioningError(
            f"role {IAM_AUTHENTICATION_ROLE} does not exist: the writer signs in with IAM, which needs RDS for "
            "PostgreSQL (or Aurora PostgreSQL) with IAM database authentication enabled"
        )
    role = _quoted(connection, username)
    ((database,),) = connection.run("SELECT quote_ident(current_database())")
    verb = "ALTER" if _role_exists(connection, username) else "CREATE"
    # Only attributes a non-superuser owner (RDS master: CREATEROLE) may set; SUPERUSER, REPLICATION
    # and BYPASSRLS are off for every role it creates.
    connection.run(f"{verb} ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD NULL")
    for (member_of,) in connection.run(
        "SELECT quote_ident(g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
        " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :name",
        name=username,
    ):
        connection.run(f"REVOKE {member_of} FROM {role}")
    connection.run(f"GRANT {IAM_AUTHENTICATION_ROLE} TO {role}")
    # Creating objects: nobody but the owner (PostgreSQL 14 lets PUBLIC create in `public` and make temp tables).
    connection.run("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    connection.run(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
    # PUBLIC is every role, the writer included: no grant on the ledger's tables or sequences goes through it.
    connection.run("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    connection.run("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC")
    connection.run(f"REVOKE ALL ON DATABASE {database} FROM {role}")
    connection.run(f"GRANT CONNECT ON DATABASE {database} TO {role}")
    connection.run(f"REVOKE ALL ON SCHEMA public FROM {role}")
    connection.run(f"GRANT USAGE ON SCHEMA public TO {role}")
    connection.run(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    connection.run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    connection.run(f"GRANT {WRITER_PRIVILEGES} ON {', '.join(WRITER_TABLES)} TO {role}")
    functions = ", ".join(WRITER_FUNCTIONS)
    connection.run(f"REVOKE ALL ON FUNCTION {functions} FROM PUBLIC")
    connection.run(f"GRANT EXECUTE ON FUNCTION {functions} TO {role}")

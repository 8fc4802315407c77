"""Least privilege on the ledger: the worker signs in as the writer (IAM, no password), which may only INSERT and
SELECT.

Against the real PostgreSQL the session starts, after the deploy's migration step (the `env`
fixture runs it as the owner, as the application layer does once per deploy).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pg8000.exceptions import DatabaseError

from payments import ledger_roles
from payments.handlers import migrate_ledger, settlement_worker
from payments.ledger_roles import IAM_AUTHENTICATION_ROLE, RoleProvisioningError
from payments.pg import sqlstate
from payments.settings import MigrateLedgerSettings
from testkit.aws_support import AwsResources
from testkit.pg_server import APP_DATABASE, APP_USER, WRITER_USER, PostgresServer

INSUFFICIENT_PRIVILEGE = "42501"  # also "must be owner of table"

FORBIDDEN = [
    "UPDATE ledger_entries SET amount_minor = 1",
    "DELETE FROM ledger_entries",
    "TRUNCATE ledger_entries",
    "TRUNCATE ledger_entries CASCADE",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update_or_delete",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
    "ALTER TABLE ledger_entries ADD COLUMN note text",
    "DROP TRIGGER ledger_entries_no_update_or_delete ON ledger_entries",
    "DROP TABLE settlement_notifications",
    "SET session_replication_role = replica",
    "UPDATE settlements SET settled_at = now()",
    "DELETE FROM settlements",
    "DELETE FROM settlement_notifications",
    "TRUNCATE settlement_notifications",
    "CREATE TABLE scratch (id int)",
    "CREATE TEMPORARY TABLE scratch (id int)",
    "CREATE SCHEMA scratch",
    "CREATE FUNCTION scratch() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE VIEW scratch AS SELECT 1 AS one",
    f"ALTER ROLE {WRITER_USER} CREATEDB",
    "CREATE ROLE scratch",
    "SELECT version FROM schema_migrations",
]


@pytest.fixture
def entry(env: dict[str, str], postgres: PostgresServer) -> str:
    """One ledger entry with its settlement row, written by the writer itself."""
    transaction_id = str(uuid.uuid4())
    connection = postgres.connect(APP_DATABASE, WRITER_USER)
    try:
        connection.run(
            "INSERT INTO ledger_entries (transaction_id, merchant_id, amount_minor, currency, accepted_at)"
            " VALUES (CAST(:id AS uuid), 'merchant-001', 100, 'USD', now())",
            id=transaction_id,
        )
        connection.run("INSERT INTO settlements (transaction_id) VALUES (CAST(:id AS uuid))", id=transaction_id)
        connection.run(
            "INSERT INTO settlement_notifications (transaction_id) VALUES (CAST(:id AS uuid))", id=transaction_id
        )
        assert connection.run(
            "SELECT count(*) FROM ledger_entries WHERE transaction_id = CAST(:id AS uuid)", id=transaction_id
        ) == [[1]]
    finally:
        connection.close()
    return transaction_id


@pytest.mark.parametrize("statement", FORBIDDEN)
def test_the_writer_cannot(statement: str, entry: str, postgres: PostgresServer) -> None:
    connection = postgres.connect(APP_DATABASE, WRITER_USER)
    try:
        with pytest.raises(DatabaseError) as raised:
            connection.run(statement)
    finally:
        connection.close()

    assert sqlstate(raised.value) == INSUFFICIENT_PRIVILEGE, raised.value


def test_the_worker_connects_as_the_writer_not_the_owner(aws: AwsResources, env: dict[str, str]) -> None:
    settler = settlement_worker.build_settler()
    database = settler._database
    try:
        ((user, superuser, owner),) = database.in_transaction(
            lambda connection: connection.run(
                "SELECT current_user, usesuper, pg_get_userbyid(c.relowner) FROM pg_user, pg_class c"
                " WHERE usename = current_user AND c.relname = 'ledger_entries'"
            )
        )
    finally:
        database.close()

    assert (user, superuser, owner) == (WRITER_USER, False, APP_USER)


def test_the_migration_step_resets_the_writer_to_exactly_its_grants(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    owner = postgres.connect(APP_DATABASE, APP_USER)
    try:
        owner.run(f"GRANT UPDATE, DELETE, TRUNCATE ON ledger_entries TO {WRITER_USER}")
        owner.run(f"ALTER ROLE {WRITER_USER} CREATEDB")
    finally:
        owner.close()

    result = migrate_ledger.migrate(MigrateLedgerSettings.from_environ(env))

    assert result == {"migrations_applied": [], "writer_role": WRITER_USER}
    owner = postgres.connect(APP_DATABASE, APP_USER)
    try:
        privileges = owner.run(
            "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)"
            " FROM information_schema.role_table_grants WHERE grantee = :role GROUP BY table_name ORDER BY 1",
            role=WRITER_USER,
        )
        ((createdb, login, superuser),) = owner.run(
            "SELECT rolcreatedb, rolcanlogin, rolsuper FROM pg_roles WHERE rolname = :role", role=WRITER_USER
        )
    finally:
        owner.close()
    assert privileges == [
        ["ledger_entries", "INSERT,SELECT"],
        ["settlement_notifications", "INSERT,SELECT"],
        ["settlements", "INSERT,SELECT"],
    ]
    assert (createdb, login, superuser) == (False, True, False)


PUBLIC_DRIFT = [
    "GRANT DELETE, UPDATE ON settlement_notifications, settlements TO PUBLIC",
    "GRANT ALL ON ledger_entries, schema_migrations TO PUBLIC",
    "GRANT ALL ON SEQUENCE ledger_entries_entry_id_seq TO PUBLIC",
]


def _public_grants(connection: Any) -> list[list[str]]:
    """Every privilege PUBLIC holds on a table or sequence of the ledger's schema."""
    return list(
        connection.run(
            "SELECT c.relname, a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,"
            " aclexplode(c.relacl) a WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND a.grantee = 0"
            " ORDER BY 1, 2"
        )
    )


def test_the_migration_step_revokes_what_public_was_granted_on_the_ledger(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    """Grant drift through PUBLIC (every role, the writer included) is undone by the next deploy."""
    owner = postgres.connect(APP_DATABASE, APP_USER)
    try:
        for grant in PUBLIC_DRIFT:
            owner.run(grant)
        assert _public_grants(owner), "the drift is in place"
        migrate_ledger.migrate(MigrateLedgerSettings.from_environ(env))
        remaining = _public_grants(owner)
    finally:
        owner.run("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")  # never left behind for other tests
        owner.run("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC")
        owner.close()

    assert remaining == []
    writer = postgres.connect(APP_DATABASE, WRITER_USER)
    try:
        for statement in (
            "DELETE FROM settlement_notifications",
            "UPDATE settlements SET settled_at = now()",
            "SELECT setval('ledger_entries_entry_id_seq', 1)",
        ):
            with pytest.raises(DatabaseError) as raised:
                writer.run(statement)
            assert sqlstate(raised.value) == INSUFFICIENT_PRIVILEGE, statement
    finally:
        writer.close()


def _writer_sign_in(postgres: PostgresServer) -> tuple[bool, list[str]]:
    """Whether the writer has a password (superuser view: pg_authid), and the roles it is a member of."""
    admin = postgres.connect(APP_DATABASE)
    try:
        ((has_password,),) = admin.run(
            "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = :role", role=WRITER_USER
        )
        memberships = admin.run(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :role ORDER BY 1",
            role=WRITER_USER,
        )
    finally:
        admin.close()
    return bool(has_password), [row[0] for row in memberships]


def test_the_writer_signs_in_with_iam_only_and_has_no_password(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    """A member of rds_iam (RDS then accepts only an IAM token for it) without a password; a password set
    before (an earlier version's, or set by hand) is cleared, and other memberships revoked, on the next deploy."""
    assert _writer_sign_in(postgres) == (False, [IAM_AUTHENTICATION_ROLE])
    owner = postgres.connect(APP_DATABASE, APP_USER)
    try:
        owner.run(f"ALTER ROLE {WRITER_USER} PASSWORD 'a-static-password-from-before'")
        owner.run(f"REVOKE {IAM_AUTHENTICATION_ROLE} FROM {WRITER_USER}")
        owner.run(f"GRANT {APP_USER} TO {WRITER_USER}")
    finally:
        owner.close()
    assert _writer_sign_in(postgres) == (True, [APP_USER])

    migrate_ledger.migrate(MigrateLedgerSettings.from_environ(env))

    assert _writer_sign_in(postgres) == (False, [IAM_AUTHENTICATION_ROLE])


def test_without_iam_authentication_the_migration_step_says_what_is_missing(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_roles, "IAM_AUTHENTICATION_ROLE", "rds_iam_absent")

    with pytest.raises(RoleProvisioningError, match=r"rds_iam_absent does not exist.*IAM database authentication"):
        migrate_ledger.migrate(MigrateLedgerSettings.from_environ(env))

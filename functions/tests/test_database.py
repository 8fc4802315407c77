"""PostgreSQL access: TLS verify-full, IAM sign-in, credential rotation, connection reuse, migrations, append-only
ledger."""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
import sys
import threading
import uuid
from typing import Any

import pg8000.native
import pytest
from botocore.credentials import Credentials
from pg8000.exceptions import DatabaseError

from payments import database as database_module
from payments import schema_migrations
from payments.database import Database, DatabaseUnavailableError, IamToken
from payments.secret_credentials import SecretCredentials
from payments.settings import MigrateLedgerSettings, SettlementWorkerSettings
from testkit.aws_support import FAKE_CREDENTIALS, REGION, AwsResources
from testkit.iam_tokens import InvalidTokenError, verify_token
from testkit.pg_server import APP_DATABASE, APP_USER, WRITER_USER, PostgresServer


def _database(env: dict[str, str], **overrides: str) -> Database:
    """The worker's connection: the ledger writer, signed in with an IAM token."""
    settings = SettlementWorkerSettings.from_environ({**env, **overrides})
    return Database(settings, sign_in=IamToken(settings.db_writer_user, settings.db_proxy_endpoint, settings.db_port))


def _owner_database(env: dict[str, str]) -> Database:
    """The migration step's connection: the owner, with the RDS-managed secret."""
    settings = MigrateLedgerSettings.from_environ(env)
    return Database(
        settings,
        sign_in=SecretCredentials(
            settings.db_owner_secret_arn, "DB_OWNER_SECRET_ARN", max_age=settings.db_secret_max_age_seconds
        ),
    )


def _causes(error: BaseException) -> list[BaseException]:
    chain = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _fresh_database(postgres: PostgresServer) -> str:
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    postgres.create_database(name)
    return name


def test_connection_is_tls_and_reused_across_invocations(aws: AwsResources, env: dict[str, str]) -> None:
    database = _database(env)
    query = "SELECT ssl, pg_backend_pid() FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    try:
        ((encrypted, first_pid),) = database.in_transaction(lambda connection: connection.run(query))
        ((_, second_pid),) = database.in_transaction(lambda connection: connection.run(query))
    finally:
        database.close()

    assert encrypted is True
    assert first_pid == second_pid


def test_certificate_from_another_ca_is_refused(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    database = _database(env, DB_CA_BUNDLE_PATH=str(postgres.pki.other_ca_file))

    with pytest.raises(DatabaseUnavailableError) as raised:
        database.in_transaction(lambda connection: connection.run("SELECT 1"))

    assert any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(raised.value))


def test_host_name_not_in_the_certificate_is_refused(aws: AwsResources, env: dict[str, str]) -> None:
    """The certificate names 127.0.0.1 only: reaching the same server as "localhost" must fail (verify-full)."""
    database = _database(env, DB_PROXY_ENDPOINT="localhost")

    with pytest.raises(DatabaseUnavailableError) as raised:
        database.in_transaction(lambda connection: connection.run("SELECT 1"))

    verification = [cause for cause in _causes(raised.value) if isinstance(cause, ssl.SSLCertVerificationError)]
    assert verification and "localhost" in str(verification[0])


def test_missing_ca_bundle_says_which_variable_to_fix(aws: AwsResources, env: dict[str, str]) -> None:
    with pytest.raises(DatabaseUnavailableError, match="DB_CA_BUNDLE_PATH"):
        _database(env, DB_CA_BUNDLE_PATH="/nonexistent/ca.pem")


def test_server_refuses_unencrypted_connections(postgres: PostgresServer) -> None:
    with pytest.raises(DatabaseError) as raised:
        pg8000.native.Connection(
            user=APP_USER,
            password=postgres.app_password,
            host=postgres.host,
            port=postgres.port,
            database=APP_DATABASE,
            ssl_context=False,  # None would mean "TLS without verification" to pg8000
            timeout=5,
        )

    assert "no encryption" in str(raised.value)


def test_the_worker_signs_in_with_an_iam_token_rds_would_accept(
    aws: AwsResources, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No password: each connection presents a fresh token for the writer at the proxy's host and port, signed
    with the function's credentials; the token RDS Proxy checks is checked here (testkit.iam_tokens)."""
    presented: list[dict[str, Any]] = []
    connect = pg8000.native.Connection

    def recording(**kwargs: Any) -> pg8000.native.Connection:
        presented.append(kwargs)
        return connect(**kwargs)

    monkeypatch.setattr(database_module.pg8000.native, "Connection", recording)
    database = _database(env)
    try:
        ((user,),) = database.in_transaction(lambda connection: connection.run("SELECT current_user"))
    finally:
        database.close()

    (sign_in,) = presented
    assert user == sign_in["user"] == WRITER_USER
    access_key, secret_key = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"], FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    credentials = Credentials(access_key, secret_key, FAKE_CREDENTIALS["AWS_SESSION_TOKEN"])
    now = dt.datetime.now(dt.UTC)
    port = int(env["DB_PORT"])

    def verify(**other: Any) -> None:
        """RDS's check of the presented token, against what it was expected to be for (or `other`)."""
        expected: dict[str, Any] = {"host": env["DB_PROXY_ENDPOINT"], "port": port, "user": WRITER_USER}
        expected |= {"region": REGION, "credentials": credentials, "now": now}
        verify_token(sign_in["password"], **(expected | other))

    verify()
    for other in ({"user": APP_USER}, {"port": port + 1}, {"region": "eu-west-1"}):
        with pytest.raises(InvalidTokenError):
            verify(**other)
    with pytest.raises(InvalidTokenError, match="expired"):
        verify(now=now + dt.timedelta(minutes=16))
    with pytest.raises(InvalidTokenError, match="signature"):
        verify(credentials=Credentials(access_key, "another-key"))


def test_rotated_owner_password_is_read_again_from_secrets_manager(
    aws: AwsResources, env: dict[str, str], postgres: PostgresServer
) -> None:
    database = _owner_database(env)
    try:
        database.in_transaction(lambda connection: connection.run("SELECT 1"))  # caches the secret
        database.close()
        rotated = f"rotated-{uuid.uuid4().hex}"
        postgres.set_app_password(rotated)
        aws.client("secretsmanager").put_secret_value(
            SecretId=aws.secret_arn, SecretString=json.dumps({"username": APP_USER, "password": rotated})
        )

        ((user,),) = database.in_transaction(lambda connection: connection.run("SELECT current_user"))
    finally:
        database.close()

    assert user == APP_USER


def test_migrations_apply_once_and_are_recorded(postgres: PostgresServer) -> None:
    connection = postgres.connect(_fresh_database(postgres), APP_USER)
    try:
        first = schema_migrations.apply_migrations(connection)
        second = schema_migrations.apply_migrations(connection)
        recorded = connection.run("SELECT version, checksum FROM schema_migrations ORDER BY version")
        tables = {row[0] for row in connection.run("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    finally:
        connection.close()

    expected = [migration.version for migration in schema_migrations.load_migrations()]
    assert first == expected and expected[0] == "0001"
    assert second == []
    assert [row[0] for row in recorded] == expected
    assert {"schema_migrations", "ledger_entries", "settlements", "settlement_notifications"} <= tables


def test_concurrent_cold_starts_migrate_once(postgres: PostgresServer) -> None:
    name = _fresh_database(postgres)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def migrate() -> None:
        connection = postgres.connect(name, APP_USER)
        try:
            results.append(schema_migrations.apply_migrations(connection))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    expected = [migration.version for migration in schema_migrations.load_migrations()]
    assert sorted(results, key=len) == [[], [], [], expected]


def test_an_edited_migration_is_refused(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    connection = postgres.connect(_fresh_database(postgres), APP_USER)
    try:
        schema_migrations.apply_migrations(connection)
        edited = [
            schema_migrations.Migration(migration.version, migration.name, migration.sql + "\n-- edited\n")
            for migration in schema_migrations.load_migrations()
        ]
        monkeypatch.setattr(schema_migrations, "load_migrations", lambda: edited)

        with pytest.raises(schema_migrations.MigrationError, match="new migration"):
            schema_migrations.apply_migrations(connection)
    finally:
        connection.close()


def test_one_shot_migrate_command(aws: AwsResources, env: dict[str, str], postgres: PostgresServer) -> None:
    name = _fresh_database(postgres)

    result = subprocess.run(
        [sys.executable, "-m", "payments.migrate"],
        env={**os.environ, **env, "DB_NAME": name},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    connection = postgres.connect(name, APP_USER)
    try:
        versions = [row[0] for row in connection.run("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        connection.close()
    assert versions == [migration.version for migration in schema_migrations.load_migrations()]


def test_ledger_entries_are_append_only(postgres: PostgresServer) -> None:
    connection = postgres.connect(_fresh_database(postgres), APP_USER)
    try:
        schema_migrations.apply_migrations(connection)
        connection.run(
            "INSERT INTO ledger_entries (transaction_id, merchant_id, amount_minor, currency, accepted_at)"
            " VALUES (gen_random_uuid(), 'merchant-001', 100, 'USD', now())"
        )
        for statement in (
            "UPDATE ledger_entries SET amount_minor = 1",
            "DELETE FROM ledger_entries",
            "TRUNCATE ledger_entries CASCADE",
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                connection.run(statement)
        duplicate: Any = connection.run("SELECT transaction_id FROM ledger_entries")[0][0]
        with pytest.raises(DatabaseError, match="ledger_entries_one_per_transaction"):
            connection.run(
                "INSERT INTO ledger_entries (transaction_id, merchant_id, amount_minor, currency, accepted_at)"
                " VALUES (:id, 'merchant-001', 100, 'USD', now())",
                id=duplicate,
            )
    finally:
        connection.close()

"""The settlement worker's PostgreSQL connection: TLS verify-full, Secrets Manager credentials, reused.

One connection per execution environment, opened on first use (the pending migrations are applied
then) and reused by later invocations. A connection that went stale (proxy idle timeout, server
restart, failover) is replaced and the work retried once; rejected credentials (a rotated secret)
are fetched again and the connection retried once.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import pg8000.native
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pg8000.exceptions import DatabaseError

from payments import aws_clients
from payments.observability import logger, tracer
from payments.pg import REJECTED_CREDENTIALS_SQLSTATE, connection_lost, sqlstate, transaction
from payments.schema_migrations import apply_migrations
from payments.settings import SettlementWorkerSettings

T = TypeVar("T")


class DatabaseUnavailableError(RuntimeError):
    """PostgreSQL could not be reached or refused the work even on a fresh connection."""


def tls_context(ca_bundle_path: str) -> ssl.SSLContext:
    """verify-full: the server certificate must chain to the bundle and match the host name."""
    try:
        context = ssl.create_default_context(cafile=ca_bundle_path)
    except (FileNotFoundError, ssl.SSLError) as error:
        raise DatabaseUnavailableError(
            f"cannot load the database CA bundle {ca_bundle_path!r} ({error}); set DB_CA_BUNDLE_PATH to a PEM file"
        ) from error
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class Database:
    def __init__(self, settings: SettlementWorkerSettings, *, migrate: bool) -> None:
        self._settings = settings
        self._secrets = SecretsProvider(boto3_client=aws_clients.client("secretsmanager"))
        self._tls = tls_context(settings.db_ca_bundle_path)
        self._migrate = migrate
        self._connection: pg8000.native.Connection | None = None

    def _credentials(self, *, refresh: bool) -> dict[str, Any]:
        secret = self._secrets.get(
            self._settings.db_secret_arn,
            max_age=self._settings.db_secret_max_age_seconds,
            transform="json",
            force_fetch=refresh,
        )
        if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
            raise DatabaseUnavailableError("the DB_SECRET_ARN secret must be JSON with 'username' and 'password'")
        return secret

    def _connect(self, secret: dict[str, Any]) -> pg8000.native.Connection:
        settings = self._settings
        try:
            return pg8000.native.Connection(
                user=secret["username"],
                password=secret["password"],
                host=settings.db_proxy_endpoint,
                port=settings.db_port,
                database=settings.db_name,
                ssl_context=self._tls,
                timeout=settings.db_connect_timeout_seconds,
                application_name=settings.service_name,
            )
        except ssl.SSLCertVerificationError as error:
            raise DatabaseUnavailableError(
                f"the TLS certificate of {settings.db_proxy_endpoint} failed verification ({error.verify_message}): "
                "check DB_PROXY_ENDPOINT and DB_CA_BUNDLE_PATH"
            ) from error

    def _open(self) -> pg8000.native.Connection:
        try:
            connection = self._connect(self._credentials(refresh=False))
        except DatabaseError as error:
            if sqlstate(error) != REJECTED_CREDENTIALS_SQLSTATE:
                raise
            logger.warning("database rejected the cached credentials; reading the secret again")
            connection = self._connect(self._credentials(refresh=True))
        if self._migrate:
            try:
                applied = apply_migrations(connection)
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.close()
                raise
            logger.info("database schema is up to date", extra={"migrations_applied": applied})
            self._migrate = False
        return connection

    def _run(self, work: Callable[[Any], T]) -> T:
        if self._connection is None:
            self._connection = self._open()
        with transaction(self._connection):
            return work(self._connection)

    @tracer.capture_method(capture_response=False)
    def in_transaction(self, work: Callable[[Any], T]) -> T:
        """Run `work(connection)` in one transaction; on a lost connection, reconnect and retry once."""
        try:
            return self._run(work)
        except Exception as error:
            if not connection_lost(error):
                raise
            logger.warning("database connection lost; reconnecting", extra={"error": type(error).__name__})
            self.close()
        try:
            return self._run(work)
        except Exception as error:
            if not connection_lost(error):
                raise
            self.close()
            raise DatabaseUnavailableError(f"PostgreSQL unreachable after reconnecting: {error}") from error

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

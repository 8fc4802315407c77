"""A PostgreSQL connection for the handlers: TLS verify-full, Secrets Manager credentials, reused.

One connection per execution environment, opened on first use and reused by later invocations;
the credentials come from the secret the caller names (the worker: the ledger writer's; the
migration step: the owner's). A connection that went stale (proxy idle timeout, server restart,
failover) is replaced and the work retried once; rejected credentials (a rotated secret) are
fetched again and the connection retried once.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pg8000.native
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pg8000.exceptions import DatabaseError

from payments import aws_clients
from payments.observability import logger
from payments.pg import REJECTED_CREDENTIALS_SQLSTATE, connection_lost, sqlstate, transaction

T = TypeVar("T")


class ConnectionSettings(Protocol):
    """What a connection needs; SettlementWorkerSettings and MigrateLedgerSettings both provide it."""

    @property
    def service_name(self) -> str: ...
    @property
    def db_proxy_endpoint(self) -> str: ...
    @property
    def db_port(self) -> int: ...
    @property
    def db_name(self) -> str: ...
    @property
    def db_ca_bundle_path(self) -> str: ...
    @property
    def db_connect_timeout_seconds(self) -> float: ...
    @property
    def db_secret_max_age_seconds(self) -> int: ...


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


def read_credentials(
    secrets: SecretsProvider, secret_arn: str, variable: str, *, max_age: int, refresh: bool = False
) -> dict[str, Any]:
    """`{"username", "password"}` from a Secrets Manager secret (the RDS-managed secret format)."""
    secret = secrets.get(secret_arn, max_age=max_age, transform="json", force_fetch=refresh)
    if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
        raise DatabaseUnavailableError(f"the {variable} secret must be JSON with 'username' and 'password'")
    return secret


class Database:
    def __init__(self, settings: ConnectionSettings, *, secret_arn: str, source_variable: str) -> None:
        """`source_variable` names the environment variable `secret_arn` came from (in error messages)."""
        self._settings = settings
        self._secret_arn = secret_arn
        self._source_variable = source_variable
        self.secrets = SecretsProvider(boto3_client=aws_clients.client("secretsmanager"))
        self._tls = tls_context(settings.db_ca_bundle_path)
        self._connection: pg8000.native.Connection | None = None

    def _credentials(self, *, refresh: bool) -> dict[str, Any]:
        return read_credentials(
            self.secrets,
            self._secret_arn,
            self._source_variable,
            max_age=self._settings.db_secret_max_age_seconds,
            refresh=refresh,
        )

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
        return connection

    def _run(self, work: Callable[[Any], T], *, in_transaction: bool) -> T:
        if self._connection is None:
            self._connection = self._open()
        if not in_transaction:
            return work(self._connection)
        with transaction(self._connection):
            return work(self._connection)

    def in_transaction(self, work: Callable[[Any], T]) -> T:
        """Run `work(connection)` in one transaction; on a lost connection, reconnect and retry once."""
        return self._with_reconnect(work, in_transaction=True)

    def on_connection(self, work: Callable[[Any], T]) -> T:
        """Run `work(connection)`, which manages its own transactions; reconnects like `in_transaction`."""
        return self._with_reconnect(work, in_transaction=False)

    def _with_reconnect(self, work: Callable[[Any], T], *, in_transaction: bool) -> T:
        try:
            return self._run(work, in_transaction=in_transaction)
        except Exception as error:
            if not connection_lost(error):
                raise
            logger.warning("database connection lost; reconnecting", extra={"error": type(error).__name__})
            self.close()
        try:
            return self._run(work, in_transaction=in_transaction)
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

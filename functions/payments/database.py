"""A PostgreSQL connection for the handlers: TLS verify-full, signed in as the caller says, reused.

One connection per execution environment, opened on first use and reused by later invocations.
The caller says how it signs in: the settlement worker with an IAM token for the ledger writer
(`IamToken`: no password exists), the migration step with the owner's secret
(`payments.secret_credentials`: the RDS-managed master secret). A connection that went stale (proxy
idle timeout, server restart, failover) is replaced and the work retried once; rejected credentials
(a rotated secret, a token signed with credentials that expired meanwhile) are made again and the
connection retried once.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pg8000.native
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


class SignIn(Protocol):
    """Who to sign in as and with what; `fresh` after PostgreSQL rejected what the last call gave."""

    def __call__(self, *, fresh: bool) -> tuple[str, str]: ...


class IamToken:
    """IAM database authentication: a token for `user` at `host:port`, valid 15 minutes, signed here with
    the function's own credentials (no AWS call). The proxy accepts it when the function's role may
    `rds-db:connect` as that user there; a new connection gets a new token."""

    def __init__(self, user: str, host: str, port: int) -> None:
        self._user, self._host, self._port = user, host, port

    def __call__(self, *, fresh: bool) -> tuple[str, str]:
        token = aws_clients.client("rds").generate_db_auth_token(
            DBHostname=self._host, Port=self._port, DBUsername=self._user
        )
        return self._user, str(token)


class Database:
    def __init__(self, settings: ConnectionSettings, *, sign_in: SignIn) -> None:
        self._settings = settings
        self._sign_in = sign_in
        self._tls = tls_context(settings.db_ca_bundle_path)
        self._connection: pg8000.native.Connection | None = None

    def _connect(self, *, fresh: bool) -> pg8000.native.Connection:
        settings = self._settings
        user, password = self._sign_in(fresh=fresh)
        try:
            return pg8000.native.Connection(
                user=user,
                password=password,
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
            connection = self._connect(fresh=False)
        except DatabaseError as error:
            if sqlstate(error) != REJECTED_CREDENTIALS_SQLSTATE:
                raise
            logger.warning("database rejected the credentials; signing in again with fresh ones")
            connection = self._connect(fresh=True)
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

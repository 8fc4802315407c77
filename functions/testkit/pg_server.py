"""A throwaway PostgreSQL server with TLS, for the test suite and the benchmark.

Runs the server binaries `pg_bin.server_bin_dir()` finds (PG_BIN, PATH, pg_config, Homebrew, PGDG,
Debian) on 127.0.0.1 and a free port (one server per pytest-xdist worker), with a
test-only CA, a server certificate valid for 127.0.0.1 only (so connecting as "localhost" proves
host-name verification), and pg_hba accepting only TLS (hostssl): SCRAM passwords, except for
members of `rds_iam`, the role RDS gives IAM database authentication. RDS accepts only an IAM
token for them; this server cannot check one and trusts them instead, so the token the worker
presents is checked by `testkit.iam_tokens.verify_token` where a test needs it.
initdb refuses to run as root, so as root every server command runs as the `postgres` user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pg8000.native
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from payments.ledger_roles import IAM_AUTHENTICATION_ROLE as IAM_ROLE  # exists on every RDS PostgreSQL database
from testkit.pg_bin import server_bin_dir

APP_USER = "payments_app"  # owns the ledger database and runs the migration step (RDS: the master user)
WRITER_USER = "payments_ledger_writer"  # what the settlement worker connects as; the migration step creates it
APP_DATABASE = "payments"
PORT_ATTEMPTS = 3


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    other_ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_pki(directory: Path) -> Pki:
    """A test-only CA, a server certificate for 127.0.0.1 signed by it, and an unrelated second CA."""
    now = dt.datetime.now(dt.UTC)
    ca_key, ca_cert = _ca("payments test CA (tests only)", now)
    _, other_ca_cert = _ca("unrelated test CA (tests only)", now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(
        ca_file=directory / "ca.pem",
        other_ca_file=directory / "other-ca.pem",
        cert_file=directory / "server.crt",
        key_file=directory / "server.key",
    )
    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.other_ca_file.write_bytes(other_ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pki.key_file.chmod(0o600)
    return pki


def _postgres_account() -> pwd.struct_passwd:
    """initdb refuses root, so as root the server runs as `postgres` (created by the Debian package)."""
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root needs the 'postgres' user to run the test server: "
            "run `bash tooling/setup/install_system_packages.sh` (Debian package 'postgresql')"
        ) from None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """initdb + pg_ctl in a private temporary directory; `stop()`/`start()` may be repeated."""

    def __init__(self) -> None:
        self.bin_dir = server_bin_dir()
        self.base = Path(tempfile.mkdtemp(prefix="payments-pg-"))
        self.data_dir = self.base / "data"
        self.log_file = self.base / "server.log"
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.admin_password = secrets.token_urlsafe(24)
        self.app_password = secrets.token_urlsafe(24)
        self.pki = make_pki(self.base)
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            account = _postgres_account()
            for path in [self.base, *self.base.iterdir()]:
                os.chown(path, account.pw_uid, account.pw_gid)
        self.base.chmod(0o755)  # the CA file must be readable by the tests whatever user the server runs as
        self._initdb()

    def _run(self, *command: str) -> None:
        prefix = ("runuser", "-u", "postgres", "--") if self._as_postgres else ()
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr}{result.stdout}\n{log}")

    def _initdb(self) -> None:
        password_file = self.base / "pwfile"
        password_file.write_text(self.admin_password)
        if self._as_postgres:
            account = _postgres_account()
            os.chown(password_file, account.pw_uid, account.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"),
            "--pgdata",
            str(self.data_dir),
            "--username",
            "postgres",
            "--pwfile",
            str(password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--no-instructions",
        )
        password_file.unlink()
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.base}'",
            "ssl": "on",
            "ssl_cert_file": f"'{self.pki.cert_file}'",
            "ssl_key_file": f"'{self.pki.key_file}'",
            "ssl_min_protocol_version": "'TLSv1.2'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "50",
        }
        with (self.data_dir / "postgresql.conf").open("a") as config:
            config.writelines(f"{name} = {value}\n" for name, value in settings.items())
        (self.data_dir / "pg_hba.conf").write_text(
            "# TLS only, loopback only. SCRAM passwords, except members of rds_iam, whose IAM token RDS would\n"
            "# check (testkit.iam_tokens checks the worker's). The owner is named first: it may grant rds_iam.\n"
            f"hostssl all postgres,{APP_USER} 127.0.0.1/32 scram-sha-256\n"
            f"hostssl all +{IAM_ROLE} 127.0.0.1/32 trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
        )

    def start(self) -> None:
        """Start on `self.port`; when another process took that port meanwhile (parallel test workers
        probe for free ports at the same time), on a new free one."""
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    "--pgdata",
                    str(self.data_dir),
                    "--log",
                    str(self.log_file),
                    "--options",
                    f"-p {self.port}",
                    "--wait",
                    "start",
                )
                return
            except RuntimeError as exc:
                if "Address already in use" not in str(exc) or attempt == PORT_ATTEMPTS - 1:
                    raise
                self.port = _free_port()

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data_dir), "--mode", "fast", "--wait", "stop")

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.pki.ca_file))

    def connect(self, database: str = "postgres", user: str = "postgres") -> pg8000.native.Connection:
        password = {"postgres": self.admin_password, WRITER_USER: ""}.get(user, self.app_password)
        return pg8000.native.Connection(
            user=user,
            password=password,
            host=self.host,
            port=self.port,
            database=database,
            ssl_context=self.tls_context(),
            timeout=10,
        )

    def create_database(self, name: str) -> None:
        """An empty database owned by the application role (which the worker migrates)."""
        admin = self.connect()
        try:
            admin.run(f'CREATE DATABASE "{name}" OWNER {APP_USER}')
        finally:
            admin.close()

    def create_app_role(self) -> None:
        """The owner role: not a superuser, may create roles and grant rds_iam (as RDS's master user)."""
        admin = self.connect()
        try:
            admin.run(f"CREATE ROLE {IAM_ROLE} NOLOGIN")
            admin.run(f"CREATE ROLE {APP_USER} LOGIN CREATEROLE PASSWORD '{self.app_password}'")
            admin.run(f"GRANT {IAM_ROLE} TO {APP_USER} WITH ADMIN OPTION")  # PostgreSQL 16+ asks for it
        finally:
            admin.close()

    def set_app_password(self, password: str) -> None:
        """What RDS does when it rotates the master secret."""
        admin = self.connect()
        try:
            admin.run(f"ALTER ROLE {APP_USER} PASSWORD '{password}'")
        finally:
            admin.close()
        self.app_password = password

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server with the application role and database; stopped and deleted afterwards."""
    server = PostgresServer()
    try:
        server.start()
        server.create_app_role()
        server.create_database(APP_DATABASE)
        yield server
    finally:
        server.remove()

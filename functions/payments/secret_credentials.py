"""Database credentials from a Secrets Manager secret: how the migration step signs in as the ledger's owner.

A module of its own, imported by the migration step only: the settlement worker signs in with an IAM
token (payments.database) and never imports the Powertools parameters utility this reads the secret
through.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from payments import aws_clients
from payments.database import DatabaseUnavailableError


class SecretCredentials:
    """`username` and `password` from a Secrets Manager secret (the RDS-managed secret format), cached."""

    def __init__(self, secret_arn: str, variable: str, *, max_age: int) -> None:
        """`variable` names the environment variable `secret_arn` came from (in error messages)."""
        self._secrets = SecretsProvider(boto3_client=aws_clients.client("secretsmanager"))
        self._secret_arn, self._variable, self._max_age = secret_arn, variable, max_age

    def __call__(self, *, fresh: bool) -> tuple[str, str]:
        secret = self._secrets.get(self._secret_arn, max_age=self._max_age, transform="json", force_fetch=fresh)
        if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
            raise DatabaseUnavailableError(f"the {self._variable} secret must be JSON with 'username' and 'password'")
        return str(secret["username"]), str(secret["password"])

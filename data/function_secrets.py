"""What the payment functions read besides their tables: the ledger writer's database credentials in
Secrets Manager, and the key of their keyed hashes in Parameter Store. Both generated here
(pulumi_random), encrypted with the data key, kept secret in Pulumi state; nothing comes from stack
config.

- `ledger-writer` (Secrets Manager: a credential, where rotation belongs): `{"username",
  "password"}` of the PostgreSQL role the settlement worker connects as (INSERT and SELECT on the
  ledger only). The functions' migration step (`payments.handlers.migrate_ledger`, run at deploy
  time as the owner, with the RDS master secret) creates or updates that role with this password;
  RDS Proxy authenticates the worker with it (registered in the proxy's `auths`). A new password
  reaches PostgreSQL when the migration step next runs.
- `key-hash` (Parameter Store, a SecureString parameter: static configuration, never rotated): a
  64-character random key for keyed hashes of idempotency keys, transaction ids and the ALB door's
  API-key digests (`KEY_HASH_PARAMETER_NAME`). It is also exported as a Pulumi secret, for the
  application layer's deploy to key the API-key digests it writes (docs/design.md).
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared.context import LayerContext

LEDGER_WRITER_USERNAME = "payments_ledger_writer"
LEDGER_WRITER_PASSWORD_LENGTH = 40
KEY_HASH_LENGTH = 64


@dataclass(frozen=True)
class FunctionSecretsArgs:
    kms_key_arn: pulumi.Input[str]
    # Protected environments keep a deleted secret recoverable for 30 days, and protect the key of every
    # derived transaction id and its parameter (a new key would give a retried payment a new id).
    protect: bool


class FunctionSecrets(pulumi.ComponentResource):
    """Outputs: `ledger_writer_arn`; `key_hash_parameter` (its `name` and `arn`) and `key_hash_key` (a secret)."""

    ledger_writer_arn: pulumi.Output[str]
    key_hash_parameter: aws.ssm.Parameter
    key_hash_key: pulumi.Output[str]

    def __init__(
        self, name: str, args: FunctionSecretsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:FunctionSecrets", name, None, opts)
        self._name, self._ctx, self._args = name, ctx, args
        # Letters and digits only: the password travels in JSON and PostgreSQL connection settings.
        password = random.RandomPassword(
            f"{name}-ledger-writer-password", length=LEDGER_WRITER_PASSWORD_LENGTH, special=False, opts=ctx.child(self)
        )
        self.ledger_writer_arn = self._secret(
            "ledger-writer",
            "PostgreSQL credentials of the ledger writer (settlement worker): INSERT and SELECT only",
            pulumi.Output.json_dumps({"username": LEDGER_WRITER_USERNAME, "password": password.result}),
        )
        # The same resource as when the key lived in Secrets Manager: its value, and so every transaction id
        # derived from it, carries over (payments.key_hashing: never rotated in place).
        key = random.RandomPassword(
            f"{name}-key-hash-key",
            length=KEY_HASH_LENGTH,
            special=False,
            opts=ctx.child(self, protect=args.protect),
        )
        self.key_hash_key = pulumi.Output.secret(key.result)
        parameter_name = ctx.namer.check(f"/{ctx.name('key-hash')}", "ssm")
        self.key_hash_parameter = aws.ssm.Parameter(
            f"{name}-key-hash",
            name=parameter_name,
            description="Key of the payment functions' keyed hashes (idempotency keys, transaction ids, API keys)",
            type="SecureString",
            key_id=args.kms_key_arn,
            tier="Standard",
            value=self.key_hash_key,
            tags=ctx.tags(parameter_name),
            opts=ctx.tagged_child(self, protect=args.protect),
        )
        self.register_outputs(
            {"ledgerWriterArn": self.ledger_writer_arn, "keyHashParameterArn": self.key_hash_parameter.arn}
        )

    def _secret(self, purpose: str, description: str, value: pulumi.Input[str]) -> pulumi.Output[str]:
        ctx, args = self._ctx, self._args
        secret_name = ctx.name(purpose, "secrets")
        secret = aws.secretsmanager.Secret(
            f"{self._name}-{purpose}",
            name=secret_name,
            description=description,
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=30 if args.protect else 0,
            tags=ctx.tags(secret_name),
            opts=ctx.tagged_child(self),
        )
        aws.secretsmanager.SecretVersion(
            f"{self._name}-{purpose}-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(value),
            opts=ctx.child(self),
        )
        return secret.arn

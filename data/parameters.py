"""SSM Parameter Store: the data-layer settings the payment functions read, under one prefix.

Parameter names are the functions' own environment variable names (payments/settings.py), in
kebab case: `DB_PROXY_ENDPOINT` -> `<prefix>/db-proxy-endpoint`; tests/data checks that every
one is a variable the functions declare (checked there rather than here: importing the
functions' settings models would cost every plan ~0.1 s). Secrets are SecureString with the data
key; their values come from generated secrets or Pulumi secrets, never from plain stack config.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared.context import LayerContext

AUDIT_SIGNING_KEY = "audit-signing-key"
# The functions' environment variables whose values this layer owns (payments/settings.py).
FUNCTION_SETTINGS: tuple[str, ...] = (
    "TRANSACTIONS_TABLE_NAME",
    "IDEMPOTENCY_TABLE_NAME",
    "AUDIT_BUCKET_NAME",
    "AUDIT_KMS_KEY_ARN",
    "DB_SECRET_ARN",
    "DB_OWNER_SECRET_ARN",
    "DB_WRITER_SECRET_ARN",
    "DB_PROXY_ENDPOINT",
    "DB_PORT",
    "DB_NAME",
)


def parameter_name(variable: str) -> str:
    return variable.lower().replace("_", "-")


@dataclass(frozen=True)
class ParametersArgs:
    prefix: str
    kms_key_arn: pulumi.Input[str]
    settings: Mapping[str, pulumi.Input[str]]  # function environment variable -> value


class Parameters(pulumi.ComponentResource):
    def __init__(self, name: str, args: ParametersArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:Parameters", name, None, opts)
        if set(args.settings) != set(FUNCTION_SETTINGS):
            raise ValueError(
                f"data parameters must be exactly {', '.join(FUNCTION_SETTINGS)}; got {sorted(args.settings)}"
            )
        for variable, value in args.settings.items():
            self._parameter(
                parameter_name(variable),
                value,
                f"{variable} of the payment functions (payments/settings.py)",
                secure=False,
                ctx=ctx,
                args=args,
            )
        # HMAC key for tamper evidence of audit records (PCI DSS 10.3.2): generated, never in config.
        signing_key = random.RandomPassword(
            f"{name}-{AUDIT_SIGNING_KEY}", length=64, special=False, opts=ctx.child(self)
        )
        self.audit_signing_key = self._parameter(
            AUDIT_SIGNING_KEY,
            signing_key.result,
            "HMAC-SHA256 key that signs audit records (tamper evidence)",
            secure=True,
            ctx=ctx,
            args=args,
        )
        self.register_outputs({"prefix": args.prefix})

    def _parameter(
        self,
        leaf: str,
        value: pulumi.Input[str],
        description: str,
        *,
        secure: bool,
        ctx: LayerContext,
        args: ParametersArgs,
    ) -> aws.ssm.Parameter:
        full_name = ctx.namer.check(f"{args.prefix}/{leaf}", "ssm")
        return aws.ssm.Parameter(
            f"{self._name}-{leaf}",
            name=full_name,
            type="SecureString" if secure else "String",
            key_id=args.kms_key_arn if secure else None,
            # pulumi-aws keeps `value` secret in state; plain settings stay readable in `insecure_value`.
            value=value if secure else None,
            insecure_value=None if secure else value,
            description=description[:1024],
            tier="Standard",
            tags=ctx.tags(full_name),
            opts=ctx.tagged_child(self),
        )

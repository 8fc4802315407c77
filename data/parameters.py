"""SSM Parameter Store: the audit signing key, the one value of this layer that is generated here
and belongs in Parameter Store, under `<prefix>/`.

The functions' settings (table and bucket names, the database endpoint and secret ARN, ...) are not
copied into plain parameters: the application layer sets them as the functions' environment
variables straight from this layer's exports (shared/contracts.py), so every setting has one source
of truth and one place to read it. A second copy in Parameter Store could only drift from it.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared.context import LayerContext

AUDIT_SIGNING_KEY = "audit-signing-key"


@dataclass(frozen=True)
class ParametersArgs:
    prefix: str
    kms_key_arn: pulumi.Input[str]


class Parameters(pulumi.ComponentResource):
    def __init__(self, name: str, args: ParametersArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:Parameters", name, None, opts)
        # HMAC key for tamper evidence of audit records (PCI DSS 10.3.2): generated, never in config.
        signing_key = random.RandomPassword(
            f"{name}-{AUDIT_SIGNING_KEY}", length=64, special=False, opts=ctx.child(self)
        )
        full_name = ctx.namer.check(f"{args.prefix}/{AUDIT_SIGNING_KEY}", "ssm")
        self.audit_signing_key = aws.ssm.Parameter(
            f"{name}-{AUDIT_SIGNING_KEY}",
            name=full_name,
            type="SecureString",
            key_id=args.kms_key_arn,
            value=signing_key.result,  # pulumi-aws keeps `value` secret in state
            description="HMAC-SHA256 key that signs audit records (tamper evidence)",
            tier="Standard",
            tags=ctx.tags(full_name),
            opts=ctx.tagged_child(self),
        )
        self.register_outputs({"prefix": args.prefix})

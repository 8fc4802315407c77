"""What the payment functions read besides their tables: the key of their keyed hashes, in Parameter
Store. Generated here (pulumi_random), encrypted with the data key, kept secret in Pulumi state;
nothing comes from stack config.

`key-hash` (a SecureString parameter: static configuration, never rotated) is a 64-character random
key for keyed hashes of idempotency keys, transaction ids and the ALB door's API-key digests
(`KEY_HASH_PARAMETER_NAME`). It is also exported as a Pulumi secret, for the application layer's
deploy to key the API-key digests it writes (docs/design.md).

The ledger writer has no secret: the settlement worker signs in with IAM through RDS Proxy
(data/proxy.py).
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared.context import LayerContext

KEY_HASH_LENGTH = 64


@dataclass(frozen=True)
class FunctionSecretsArgs:
    kms_key_arn: pulumi.Input[str]
    # Protected environments protect the key of every derived transaction id and its parameter (a new
    # key would give a retried payment a new id).
    protect: bool


class FunctionSecrets(pulumi.ComponentResource):
    """Outputs: `key_hash_parameter` (its `name` and `arn`) and `key_hash_key` (a secret)."""

    key_hash_parameter: aws.ssm.Parameter
    key_hash_key: pulumi.Output[str]

    def __init__(
        self, name: str, args: FunctionSecretsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:FunctionSecrets", name, None, opts)
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
        self.register_outputs({"keyHashParameterArn": self.key_hash_parameter.arn})

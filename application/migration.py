"""The ledger migration, run at deploy time: a function with the database owner's credentials and
one invocation of it per artifact.

The migrations run from `pulumi up`, not on a cold start, and before the worker's queue trigger
exists (the trigger waits for the invocation). The invocation's triggers hold the artifact's
sha256, so a new artifact (new migration files, new code) runs it again and an unchanged one
never does. A failed migration fails the deployment, and the invocation runs
again on the next `pulumi up`: the migrations are idempotent (recorded in `schema_migrations`
under an advisory lock).
"""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from application.functions import PaymentFunction, PaymentFunctionArgs
from shared.context import LayerContext


@dataclass(frozen=True)
class LedgerMigrationArgs:
    function: PaymentFunctionArgs


class LedgerMigration(pulumi.ComponentResource):
    function: PaymentFunction
    invocation: aws.lambda_.Invocation

    def __init__(
        self, name: str, args: LedgerMigrationArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:LedgerMigration", name, None, opts)
        self.function = PaymentFunction(name, args.function, ctx, ctx.child(self))
        self.invocation = aws.lambda_.Invocation(
            f"{name}-run",
            function_name=self.function.function.name,
            input=json.dumps({"action": "migrate"}),
            triggers={"artifactSha256": args.function.artifact.sha256_hex},
            opts=ctx.child(self),
        )
        self.register_outputs({"functionArn": self.function.arn})

"""DynamoDB tables for transactions, idempotency records and the merchant directory, built from the
functions' own schema.

`payments.storage_schema` (functions/payments/storage_schema.py) is the one definition of table
keys and the TTL attribute; the handlers read and write with the same constants, so the tables
and the code cannot disagree.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from payments.storage_schema import (
    IDEMPOTENCY_TABLE,
    MERCHANTS_TABLE,
    MERCHANTS_TABLE_TYPE,
    TRANSACTIONS_TABLE,
    TableSchema,
)
from shared.context import LayerContext

# logical table -> its schema; the logical name is also the physical name's resource type.
TABLES: dict[str, TableSchema] = {
    "transactions": TRANSACTIONS_TABLE,
    "idempotency": IDEMPOTENCY_TABLE,
    # API key -> merchant, for both front doors: written by the application layer's deploy (one item per
    # merchant, and the ALB door's key digests), so onboarding a merchant needs no step by hand.
    MERCHANTS_TABLE_TYPE: MERCHANTS_TABLE,
}


@dataclass(frozen=True)
class PaymentTablesArgs:
    kms_key_arn: pulumi.Input[str]
    point_in_time_recovery: bool
    protect: bool


def table_arguments(schema: TableSchema) -> dict[str, Any]:
    """Key schema, attribute definitions and TTL of a table, in pulumi-aws argument form."""
    arguments: dict[str, Any] = {
        "hash_key": schema.hash_key,
        "attributes": [
            {"name": a["AttributeName"], "type": a["AttributeType"]} for a in schema.attribute_definitions()
        ],
    }
    if schema.range_key is not None:
        arguments["range_key"] = schema.range_key
    if schema.ttl_attribute is not None:
        arguments["ttl"] = {"attribute_name": schema.ttl_attribute, "enabled": True}
    return arguments


class PaymentTables(pulumi.ComponentResource):
    tables: dict[str, aws.dynamodb.Table]

    def __init__(
        self, name: str, args: PaymentTablesArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:PaymentTables", name, None, opts)
        self.tables = {}
        for logical, schema in TABLES.items():
            table_name = ctx.name(logical, "dynamodb")
            self.tables[logical] = aws.dynamodb.Table(
                f"{name}-{logical}",
                name=table_name,
                billing_mode="PAY_PER_REQUEST",
                server_side_encryption={"enabled": True, "kms_key_arn": args.kms_key_arn},
                point_in_time_recovery={"enabled": args.point_in_time_recovery},
                deletion_protection_enabled=args.protect,  # a console or API delete fails too
                tags=ctx.tags(table_name),
                opts=ctx.tagged_child(self, protect=args.protect),
                **table_arguments(schema),
            )
        self.register_outputs({f"{k}Arn": t.arn for k, t in self.tables.items()})

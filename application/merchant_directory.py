"""The merchants table's content, written by this layer's deploy from the merchants it declares.

The data layer owns the table (`merchantsTableName`: CMK, point-in-time recovery, deletion
protection like the other tables); this component writes its items (`payments.storage_schema`
holds their layout, which the functions read with GetItem only):

- per merchant, `api-key/<key id>` -> the merchant: both doors' key id -> merchant mapping, which
  no function environment carries any more (it grew with every merchant, past Lambda's 4 KB);
- 16 shards `api-key-digests/<0-f>` -> {keyed digest of a key value -> key id}: the ALB door's
  lookup. A digest is never an item's key, since pulumi-aws makes a table item's id of its key
  (`<table>|lookup|<key>`), and ids are plain text in state. The shards' content is a Pulumi
  secret, computed from the keys' values (secret outputs of `ApiKey`) and the key-hash key (a
  secret output of the data layer); no key value is written anywhere.

Adding or removing a merchant adds or removes its item and rewrites the one shard its digest falls
in; the functions see it within their max age (payments.merchants).
"""

import functools
import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments.key_hashing import KeyHasher
from payments.storage_schema import DIGEST_SHARDS, MERCHANT, digest_shard_items, merchant_item
from shared.context import LayerContext


@dataclass(frozen=True)
class MerchantDirectoryArgs:
    table_name: pulumi.Input[str]
    keys: Mapping[str, aws.apigateway.ApiKey]  # merchant -> its API key
    key_hash_key: pulumi.Input[str]  # a secret: keys the digests (payments.key_hashing)


def _entry(merchant: str, api_key_id: str) -> str:
    return json.dumps(merchant_item(api_key_id, merchant))


def digest_shards(key_hash_key: str, key_values: list[str], key_ids: list[str]) -> list[str]:
    """Every shard item's JSON (`DIGEST_SHARDS` order): each key value's keyed digest -> its key id."""
    hasher = KeyHasher(key_hash_key.encode("utf-8"))
    digests = {hasher.api_key_digest(value): key_id for value, key_id in zip(key_values, key_ids, strict=True)}
    return [json.dumps(item) for item in digest_shard_items(digests)]


class MerchantDirectory(pulumi.ComponentResource):
    """Outputs: `entries`, each merchant's item (the usage plan adds a key only once its merchant is known)."""

    entries: dict[str, aws.dynamodb.TableItem]

    def __init__(
        self, name: str, args: MerchantDirectoryArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:MerchantDirectory", name, None, opts)
        self.entries = {
            merchant: aws.dynamodb.TableItem(
                f"{name}-{merchant}",
                table_name=args.table_name,
                hash_key=MERCHANT.lookup,
                item=key.id.apply(functools.partial(_entry, merchant)),
                opts=ctx.child(self),
            )
            for merchant, key in args.keys.items()
        }
        keys = list(args.keys.values())
        shards: pulumi.Output[list[str]] = pulumi.Output.all(
            args.key_hash_key,
            pulumi.Output.all(*[key.value for key in keys]),
            pulumi.Output.all(*[key.id for key in keys]),
        ).apply(lambda values: digest_shards(values[0], values[1], values[2]))
        for index, shard in enumerate(DIGEST_SHARDS):
            aws.dynamodb.TableItem(
                f"{name}-digests-{shard}",
                table_name=args.table_name,
                hash_key=MERCHANT.lookup,
                item=pulumi.Output.secret(shards.apply(operator.itemgetter(index))),
                opts=ctx.child(self),
            )
        self.register_outputs({"merchants": len(self.entries)})

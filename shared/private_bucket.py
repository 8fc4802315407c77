"""What every bucket of the platform starts with: its name, teardown, no ACLs, no public access."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    public_access: aws.s3.BucketPublicAccessBlock  # bucket policies wait for it


def private_bucket(
    name: str,
    *,
    resource_type: str,
    region: str,
    protect: bool,
    ctx: LayerContext,
    parent: pulumi.Resource,
) -> PrivateBucket:
    """A bucket named `{resource_type}-{env}-{suffix}-{account}-{region}` in `region`."""
    other_region = None if region == ctx.region else region
    bucket_name = ctx.namer.global_name(resource_type, ctx.account_id, region)
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        bucket=bucket_name,
        force_destroy=True,  # teardown without manual steps (docs/design.md)
        tags=ctx.tags(bucket_name),
        opts=ctx.tagged_child(parent, protect=protect),
        region=other_region,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=ctx.child(parent),
        region=other_region,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=ctx.child(parent),
        region=other_region,
    )
    return PrivateBucket(bucket, public_access)

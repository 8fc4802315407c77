"""Everything is destroyable without manual steps (docs/design.md): no retain, no deletion
protection, no final snapshot, buckets emptied on destroy. Prod's `protect` is deliberate and allowed:
it stops an accidental destroy, and `pulumi state unprotect` lifts it on purpose."""

from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

from policy.rules import for_types, resource_policy, value

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"


class PlannedResourceOptions(PolicyResourceOptions):
    """Resource options as the offline plan records them, with `retain_on_delete`, which the engine
    does not pass to Python policy packs (pulumi-policy 1.21): that rule is enforced on the plan only."""

    def __init__(
        self, protect: bool, ignore_changes: list[str], retain_on_delete: bool, parent: str | None = None
    ) -> None:
        super().__init__(protect, ignore_changes, None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)
        self.retain_on_delete = retain_on_delete


def _not_retained(args: ResourceValidationArgs) -> str | None:
    if getattr(args.opts, "retain_on_delete", False):
        return "retain_on_delete leaves the resource behind on destroy: remove it"
    return None


def _database_deletable(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "deletionProtection") is True:
        return "deletion protection blocks `pulumi destroy`: set deletionProtection=false (prod relies on protect)"
    if value(args.props, "skipFinalSnapshot") is not True:
        return "destroy would wait for a final snapshot nobody deletes: set skipFinalSnapshot=true"
    return None


def _table_deletable(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "deletionProtectionEnabled") is True:
        return "deletion protection blocks `pulumi destroy`: set deletionProtectionEnabled=false"
    return None


def _bucket_emptied(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "forceDestroy") is True:
        return None
    return "a bucket with objects (or versions) cannot be destroyed: set forceDestroy=true"


POLICIES = (
    resource_policy(
        "teardown-no-retain-on-delete",
        "No resource is retained on delete (checked on the offline plan; the engine does not expose it).",
        lambda _: _not_retained,
    ),
    resource_policy(
        "teardown-rds-deletable",
        "RDS instances and Aurora clusters have no deletion protection and skip the final snapshot.",
        for_types((INSTANCE, CLUSTER), _database_deletable),
    ),
    resource_policy(
        "teardown-dynamodb-deletable",
        "DynamoDB tables have no deletion protection.",
        {TABLE: _table_deletable},
    ),
    resource_policy(
        "teardown-s3-bucket-force-destroy",
        "S3 buckets are emptied on destroy (forceDestroy).",
        {BUCKET: _bucket_emptied},
    ),
)

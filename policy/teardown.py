"""Everything is destroyable without manual steps (docs/design.md), except what is protected on purpose:
no retain, no final snapshot; unprotected databases, tables and buckets have no AWS deletion protection
and buckets are emptied on destroy. A protected one (Pulumi `protect`, from data:protectDataStores or
observability:protectAuditTrail) carries AWS deletion protection too and is never emptied by Pulumi, so
neither `pulumi destroy` nor a console or API delete takes it; the deliberate teardown lifts both by
setting the key to false and deploying."""

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


def _deletion_protection_follows_protect(args: ResourceValidationArgs, prop: str) -> str | None:
    protected = args.opts.protect
    if (value(args.props, prop) is True) != protected:
        return (
            f"AWS deletion protection must follow Pulumi protect ({protected}): set {prop}={protected} "
            "(protected: a console or API delete fails too; unprotected: destroy needs no manual step)"
        )
    return None


def _database_deletable(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "skipFinalSnapshot") is not True:
        return "destroy would wait for a final snapshot nobody deletes: set skipFinalSnapshot=true"
    return _deletion_protection_follows_protect(args, "deletionProtection")


def _table_deletable(args: ResourceValidationArgs) -> str | None:
    return _deletion_protection_follows_protect(args, "deletionProtectionEnabled")


def _bucket_emptied(args: ResourceValidationArgs) -> str | None:
    emptied = value(args.props, "forceDestroy") is True
    if args.opts.protect and emptied:
        return "a protected bucket must not be emptied by Pulumi: set forceDestroy=false"
    if not args.opts.protect and not emptied:
        return "a bucket with objects (or versions) cannot be destroyed: set forceDestroy=true"
    return None


POLICIES = (
    resource_policy(
        "teardown-no-retain-on-delete",
        "No resource is retained on delete (checked on the offline plan; the engine does not expose it).",
        lambda _: _not_retained,
    ),
    resource_policy(
        "teardown-rds-deletion-protection-follows-protect (RDS.8)",
        "RDS instances and Aurora clusters skip the final snapshot and have AWS deletion protection exactly when "
        "they are protected.",
        for_types((INSTANCE, CLUSTER), _database_deletable),
    ),
    resource_policy(
        "teardown-dynamodb-deletion-protection-follows-protect (DynamoDB.6)",
        "DynamoDB tables have AWS deletion protection exactly when they are protected.",
        {TABLE: _table_deletable},
    ),
    resource_policy(
        "teardown-s3-bucket-force-destroy-unless-protected",
        "Unprotected S3 buckets are emptied on destroy (forceDestroy); protected ones never are.",
        {BUCKET: _bucket_emptied},
    ),
)

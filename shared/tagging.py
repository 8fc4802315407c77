"""The tag set every taggable resource carries.

`DeployedAt` records when a resource was first deployed. Its value is today's date on every
run, so `TAGGED` resources ignore later changes to that one tag: `pulumi up` never shows a diff
for it, and every other tag is still managed.
"""

from datetime import UTC, datetime

import pulumi

from shared.config import PlatformConfig

DEPLOYED_AT = "DeployedAt"
REQUIRED_TAGS: tuple[str, ...] = (
    "Environment",
    "Application",
    "CostCenter",
    "Layer",
    "ManagedBy",
    "MigrationDate",
    DEPLOYED_AT,
)
_DEPLOYED_AT_PATHS = [f'tags["{DEPLOYED_AT}"]']


def standard_tags(platform: PlatformConfig, layer: str, name: str | None = None) -> dict[str, str]:
    tags = {
        "Environment": platform.environment,
        "Application": platform.application,
        "CostCenter": platform.cost_center,
        "Layer": layer,
        "ManagedBy": "pulumi",
        "MigrationDate": platform.migration_date.isoformat(),
        DEPLOYED_AT: datetime.now(UTC).date().isoformat(),
    }
    if name:
        tags["Name"] = name
    return tags


def tagged(opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
    """Options for a taggable resource: the deployment marker never causes a diff."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=_DEPLOYED_AT_PATHS))

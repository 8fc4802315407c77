"""`data:` keys of the stack files, validated before any resource is declared.

Every per-environment value (docs/design.md) lives in the stack files (no silent defaults for them);
the remaining keys have one default shared by every environment, so they cannot drift apart.
"""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from shared.account_singletons import SingleOwner, single_owner_problems
from shared.config import PlatformConfig, StackConfig, StrictModel, platform_of
from shared.environments import Region

PROJECT = "data"
Engine = Literal["postgres", "aurora-postgresql"]
# Enhanced monitoring granularities RDS accepts; 0 (off) is not among them on purpose.
MONITORING_INTERVALS: tuple[int, ...] = (1, 5, 10, 15, 30, 60)

# Instance families RDS for PostgreSQL 14 offers (current generation), and the sizes we accept.
# micro/small are refused: Performance Insights and a payments ledger need at least a medium.
INSTANCE_FAMILIES: tuple[str, ...] = (
    "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i",
    "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i",
)  # fmt: skip
INSTANCE_SIZES: tuple[str, ...] = (
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
)  # fmt: skip
_INSTANCE_CLASS = re.compile(r"^db\.([a-z0-9]+)\.([a-z0-9]+)$")
# "14" follows the newest 14.x (auto minor upgrades then cause no diff); "14.<minor>" pins one.
_ENGINE_VERSION = re.compile(r"^14(\.\d{1,2})?$")
# Aurora Serverless v2 capacity, in ACUs of 0.5.
MIN_ACU, MAX_ACU = Decimal("0.5"), Decimal("256")
_DAY_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_DAY = "(mon|tue|wed|thu|fri|sat|sun)"
_WEEK_WINDOW = re.compile(rf"^{_DAY}:([01]\d|2[0-3]):[0-5]\d-{_DAY}:([01]\d|2[0-3]):[0-5]\d$")
# Performance Insights keeps 7 days free, or a multiple of 31 days up to 731.
PI_RETENTION_DAYS: tuple[int, ...] = (7, *range(31, 714, 31), 731)
# PCI DSS 10.5.1: audit trail history is kept for at least 12 months, the latest 3 immediately available;
# audit records, S3 access logs and ALB access logs are kept at least 90 days everywhere, a year in prod.
PROD_MIN_AUDIT_EXPIRATION_DAYS = 365
MIN_AUDIT_EXPIRATION_DAYS = 90


class AuroraSettings(StrictModel):
    """Aurora PostgreSQL Serverless v2 capacity (used when engine is aurora-postgresql)."""

    min_capacity: Decimal = Field(description="Smallest capacity in ACUs (0.5 to 256, steps of 0.5).")
    max_capacity: Decimal = Field(description="Largest capacity in ACUs (0.5 to 256, steps of 0.5).")

    @field_validator("min_capacity", "max_capacity")
    @classmethod
    def _acu(cls, value: Decimal) -> Decimal:
        if not MIN_ACU <= value <= MAX_ACU or value % Decimal("0.5") != 0:
            raise ValueError(f"{value} ACU is not allowed; use {MIN_ACU} to {MAX_ACU} in steps of 0.5")
        return value

    @field_validator("max_capacity")
    @classmethod
    def _not_below_min(cls, high: Decimal, info: ValidationInfo) -> Decimal:
        low = info.data.get("min_capacity")
        if low is not None and low > high:
            raise ValueError(f"minCapacity {low} is above maxCapacity {high}; minCapacity must be at most maxCapacity")
        return high


class DrSettings(StrictModel):
    """Optional disaster recovery copies in a second region (off by default)."""

    enabled: bool = Field(default=False, description="Copy backups and the audit trail to a second region.")
    region: Region = Field(default="us-west-2", description="The DR region; never platform:region.")

    @field_validator("region")
    @classmethod
    def _another_region(cls, region: str, info: ValidationInfo) -> str:
        platform = platform_of(info)
        if platform and info.data.get("enabled") and region == platform.region:
            raise ValueError(f"{region!r} is the primary region (platform:region); DR copies must go to another region")
        return region


class DataSettings(StrictModel):
    # --- PostgreSQL: the engine switch, size, availability and backups ---
    engine: Engine = Field(description="postgres (RDS instance) or aurora-postgresql (Aurora Serverless v2 cluster).")
    engine_version: str = Field(description="14 (follows the newest 14.x) or 14.<minor> to pin one.")
    instance_class: str = Field(
        description="db.<family>.<size> of RDS for PostgreSQL, medium or larger (used with engine postgres)."
    )
    multi_az: bool = Field(description="A standby in another AZ (postgres) or a second cluster instance (aurora).")
    backup_retention_days: int = Field(ge=1, le=35, description="Days of automated backups (1-35).")
    retain_automated_backups: bool = Field(
        description="Automated backups outlive the database when it is deleted (they expire after "
        "backupRetentionDays on their own, so teardown needs no manual step)."
    )
    monitoring_interval_seconds: int = Field(
        description="RDS enhanced monitoring: seconds between OS metrics (1, 5, 10, 15, 30 or 60; 0 is refused)."
    )
    aurora: AuroraSettings = Field(description="Aurora Serverless v2 capacity in ACUs (used with aurora-postgresql).")
    # --- DynamoDB and the audit trail ---
    point_in_time_recovery: bool = Field(description="DynamoDB point-in-time recovery on both tables.")
    audit_transition_days: int = Field(
        ge=0, le=3650, description="Days until audit objects move to S3 Intelligent-Tiering."
    )
    audit_expiration_days: int = Field(
        ge=MIN_AUDIT_EXPIRATION_DAYS,
        le=3650,
        description="Days until audit objects and the S3 access logs of the log buckets expire (at least 90; "
        "365 in prod: PCI DSS 10.5.1).",
    )
    alb_log_expiration_days: int = Field(
        ge=MIN_AUDIT_EXPIRATION_DAYS,
        le=3650,
        description="Days ALB access logs (current and replaced versions) are kept (at least 90; 365 in prod: "
        "PCI DSS 10.5.1).",
    )
    # --- prod data stores are protected; set false on purpose before a full teardown ---
    protect_data_stores: bool = Field(
        description="Pulumi `protect` and AWS deletion protection on the database, tables, audit and access-log "
        "buckets (not emptied on destroy) and key: destroy refuses while set."
    )
    owns_enhanced_monitoring_log_group: bool = Field(
        description="Whether this stack declares RDSOSMetrics, the one enhanced-monitoring log group of its account "
        "and region (encrypted, with retention); exactly one environment per account and region sets true."
    )
    dr: DrSettings = Field(default=DrSettings(), description="Optional disaster-recovery copies in a second region.")
    # --- one value for every environment ---
    database_name: str = Field(
        default="payments", pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Database holding the ledger."
    )
    master_username: str = Field(
        default="payments_admin", pattern=r"^[a-z][a-z0-9_]{0,62}$", description="PostgreSQL owner user name."
    )
    allocated_storage_gb: int = Field(default=20, ge=20, le=65536, description="Initial storage (postgres), GB.")
    max_allocated_storage_gb: int = Field(
        default=100, ge=20, le=65536, validate_default=True, description="Storage autoscaling ceiling (postgres), GB."
    )
    backup_window: str = Field(
        default="03:00-04:00", pattern=_DAY_WINDOW.pattern, description="Daily backup window, UTC (hh:mm-hh:mm)."
    )
    maintenance_window: str = Field(
        default="sun:04:30-sun:05:30",
        pattern=_WEEK_WINDOW.pattern,
        description="Weekly maintenance window, UTC (ddd:hh:mm-ddd:hh:mm).",
    )
    performance_insights_retention_days: int = Field(
        default=7, description="Performance Insights retention: 7 (free), or a multiple of 31 up to 731."
    )
    secret_rotation_days: int = Field(default=30, ge=1, le=365, description="Rotation of the master secret, days.")
    incomplete_upload_days: int = Field(
        default=7, ge=1, le=365, description="Days before unfinished multipart uploads are aborted."
    )

    @field_validator("engine_version")
    @classmethod
    def _engine_version(cls, value: str) -> str:
        if not _ENGINE_VERSION.match(value):
            raise ValueError(
                f"{value!r} is not PostgreSQL 14; allowed: '14' (newest 14.x, minor upgrades automatic) "
                "or '14.<minor>' such as '14.15'"
            )
        return value

    @field_validator("instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        match = _INSTANCE_CLASS.match(value)
        if not match:
            raise ValueError(f"{value!r} is not an RDS instance class; expected db.<family>.<size>")
        family, size = match.groups()
        if family not in INSTANCE_FAMILIES:
            raise ValueError(
                f"unknown instance class family 'db.{family}'; allowed families: "
                + ", ".join(f"db.{f}" for f in INSTANCE_FAMILIES)
            )
        if size not in INSTANCE_SIZES:
            raise ValueError(f"instance size {size!r} is not allowed; allowed sizes: {', '.join(INSTANCE_SIZES)}")
        return value

    @field_validator("monitoring_interval_seconds")
    @classmethod
    def _monitoring_interval(cls, value: int) -> int:
        if value not in MONITORING_INTERVALS:
            raise ValueError(
                f"{value} is not an enhanced monitoring interval; allowed: "
                f"{', '.join(map(str, MONITORING_INTERVALS))} (0, off, is refused)"
            )
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in PI_RETENTION_DAYS:
            raise ValueError(
                f"{value} days is not a Performance Insights retention; allowed: 7, 731 or a multiple of 31"
            )
        return value

    # Rules between keys: each is a validator of the later key, reading the earlier ones from info.data.

    @field_validator("max_allocated_storage_gb")
    @classmethod
    def _not_below_allocated(cls, ceiling: int, info: ValidationInfo) -> int:
        allocated = info.data.get("allocated_storage_gb")
        if allocated is not None and ceiling < allocated:
            raise ValueError(f"{ceiling} must be at least allocatedStorageGb ({allocated})")
        return ceiling

    @field_validator("dr")
    @classmethod
    def _rds_instances_only(cls, dr: DrSettings, info: ValidationInfo) -> DrSettings:
        if dr.enabled and info.data.get("engine") == "aurora-postgresql":
            raise ValueError(
                "enabled: cross-region replication of automated backups exists for RDS instances only; "
                "with engine aurora-postgresql set dr.enabled to false (Aurora DR needs a global database)"
            )
        return dr

    @field_validator("audit_expiration_days")
    @classmethod
    def _after_the_transition(cls, days: int, info: ValidationInfo) -> int:
        transition = info.data.get("audit_transition_days")
        if transition is not None and days <= transition:
            raise ValueError(f"{days} must be greater than auditTransitionDays ({transition})")
        return days

    @field_validator("audit_expiration_days", "alb_log_expiration_days")
    @classmethod
    def _prod_keeps_a_year(cls, days: int, info: ValidationInfo) -> int:
        # A rule on the values one environment may declare, not a difference in what is deployed.
        platform = platform_of(info)
        if platform and platform.environment == "prod" and days < PROD_MIN_AUDIT_EXPIRATION_DAYS:
            raise ValueError(
                f"prod keeps audit and access logs at least {PROD_MIN_AUDIT_EXPIRATION_DAYS} days "
                f"(PCI DSS 10.5.1); got {days}"
            )
        return days

    def environment_problems(self, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        return single_owner_problems(
            SingleOwner(
                key="data:ownsEnhancedMonitoringLogGroup",
                what="the RDSOSMetrics log group",
                why="enhanced monitoring would create it unencrypted and never expiring",
            ),
            own=self.owns_enhanced_monitoring_log_group,
            platform=platform,
            others={
                stack: (other.platform, other.layer.owns_enhanced_monitoring_log_group)
                for stack, other in others.items()
            },
        )

"""`observability:` keys of the stack files, validated before any resource is declared.

The alarm thresholds, the recipients and the trace sampling rate differ per environment (the stack
files); the rules that make an alarm mean what its name says (errors in 5 minutes, p99 close to the
timeout) have one default shared by every environment.
"""

from pydantic import Field, ValidationInfo, field_validator

from shared.config import EmailAddresses, LogRetentionDays, StrictModel, platform_of

# PCI DSS 10.5.1: a year of audit trail in prod, the latest 3 months immediately available; at least
# 90 days everywhere, like every other bucket of audit records.
MIN_TRAIL_RETENTION_DAYS = 90
PROD_MIN_TRAIL_RETENTION_DAYS = 365


class AlarmThresholds(StrictModel):
    """When each alarm fires. Counts are per evaluation period (5 minutes unless the alarm says otherwise)."""

    # --- Lambda, per function ---
    lambda_errors: int = Field(
        default=5, ge=1, description="Errors of one function in 5 minutes (the platform's rule: 5, everywhere)."
    )
    lambda_throttles: int = Field(ge=1, description="Throttled invocations of one function in 5 minutes.")
    duration_percent_of_timeout: int = Field(
        default=80, ge=10, le=100, description="p99 duration, as a percentage of the function's timeout."
    )
    # --- settlement ---
    settlement_failures: int = Field(
        ge=1, description="SettlementFailed messages in 5 minutes (partial batch failures never raise Errors)."
    )
    dlq_depth: int = Field(ge=1, description="Messages waiting in the payment dead-letter queue.")
    lambda_dlq_depth: int = Field(
        ge=1, description="Failed asynchronous invocations waiting in the functions' shared dead-letter queue."
    )
    queue_age_seconds: int = Field(ge=60, description="Age of the oldest message in the payment queue, seconds.")
    # --- PostgreSQL ---
    db_cpu_percent: int = Field(ge=1, le=100, description="Database CPU utilisation, percent (15-minute average).")
    db_connections: int = Field(ge=1, description="Database connections (the RDS Proxy's pool included).")
    db_free_storage_gb: int = Field(ge=1, description="Free storage below which the instance alarms, GB (postgres).")
    db_acu_percent: int = Field(
        default=90, ge=1, le=100, description="Aurora Serverless v2 capacity used, percent of maxCapacity (aurora)."
    )
    # --- API Gateway ---
    api_client_error_rate_percent: float = Field(gt=0, le=100, description="4XX responses as a percentage of requests.")
    api_server_error_rate_percent: float = Field(gt=0, le=100, description="5XX responses as a percentage of requests.")
    api_latency_p99_ms: int = Field(ge=1, description="p99 API Gateway latency, milliseconds.")
    # --- ALB and web tier (edge) ---
    alb_server_errors: int = Field(ge=1, description="5XX responses of the ALB and its targets in 5 minutes.")
    target_response_p99_seconds: float = Field(gt=0, description="p99 target response time behind the ALB, seconds.")
    web_min_in_service: int = Field(
        default=1, ge=1, description="In-service instances of the active colour below which the web tier alarms."
    )


class TracingSettings(StrictModel):
    """X-Ray sampling of the payments API (the functions follow the API's decision)."""

    fixed_rate: float = Field(ge=0, le=1, description="Share of requests traced beyond the reservoir (0 to 1).")
    reservoir_per_second: int = Field(default=1, ge=0, description="Requests traced every second before fixedRate.")


class ObservabilitySettings(StrictModel):
    alarm_emails: EmailAddresses = Field(
        min_length=1, description="Email addresses subscribed to the alarm topic (each must confirm by email)."
    )
    alarm_thresholds: AlarmThresholds = Field(description="When each alarm fires (per environment).")
    tracing: TracingSettings = Field(description="X-Ray sampling of the payments API.")
    # --- the audit trail ---
    trail_retention_days: LogRetentionDays = Field(
        ge=MIN_TRAIL_RETENTION_DAYS,
        description="Days the CloudTrail files and the trail's log group are kept (a CloudWatch Logs value; "
        "at least 90, 365 in prod: PCI DSS 10.5.1).",
    )
    protect_audit_trail: bool = Field(
        description="Pulumi `protect` on the trail's bucket (then not emptied on destroy) and key; the "
        "counterpart of data:protectDataStores, and equal to it in every environment."
    )
    alarm_period_seconds: int = Field(
        default=300, description="Evaluation period of the count and rate alarms, seconds (5 minutes)."
    )

    @field_validator("trail_retention_days")
    @classmethod
    def _prod_keeps_a_year(cls, days: int, info: ValidationInfo) -> int:
        # A rule on the values one environment may declare, not a difference in what is deployed.
        platform = platform_of(info)
        if platform and platform.environment == "prod" and days < PROD_MIN_TRAIL_RETENTION_DAYS:
            raise ValueError(
                f"prod keeps the audit trail at least {PROD_MIN_TRAIL_RETENTION_DAYS} days (PCI DSS 10.5.1); got {days}"
            )
        return days

    @field_validator("alarm_period_seconds")
    @classmethod
    def _period(cls, seconds: int) -> int:
        if seconds < 60 or seconds % 60:
            raise ValueError(f"{seconds} s is not a CloudWatch alarm period here; use a multiple of 60")
        return seconds

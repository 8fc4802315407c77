"""`application:` keys of the stack files, validated before any resource is declared.

The values that differ between environments (memory, reservations, redrive count, recipients) live
in the stack files; everything else has one default shared by every environment. Rules across
environments run here too: timeouts may not differ (what staging tested is what prod runs), and
environments sharing an account and region declare the same concurrency quota. What they reserve
together is an AWS limit, checked over the plans with the others (tooling/checks/limits).
"""

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, create_model, field_validator
from pydantic.alias_generators import to_snake

from application.api_settings import (
    ApiQuota,
    ApiThrottle,
    MerchantIdSetting,
    api_gateway_account_problems,
    unique_merchants,
)
from shared.config import EmailAddresses, PlatformConfig, StackConfig, StrictModel
from shared.contracts import COLORS, Color
from shared.functions import FUNCTIONS, FunctionSpec, functions_invoked_by

# AWS keeps this many concurrent executions of an account and region unreserved.
UNRESERVABLE_CONCURRENCY = 100
# An SQS event source mapping's maximum concurrency is 2 to 1000 (AWS minimum 2).
MIN_QUEUE_CONCURRENCY = 2
# Lambda's SQS guidance: the queue's visibility timeout is at least six times the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6
# The ledger migration runs once per artifact, never concurrently with itself.
MIGRATION_RESERVED_CONCURRENCY = 1


AMI_ID = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
AL2023_ARM64_NAME = re.compile(r"^al2023-ami-2023\.\d+\.\d{8}\.\d+-kernel-\d+\.\d+-arm64$")
# Graviton (arm64) families only: the AMI is Amazon Linux 2023 arm64.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.(nano|micro|small|medium|large|\d*xlarge)$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def other_color(color: Color) -> Color:
    (other,) = (candidate for candidate in COLORS if candidate != color)
    return other


class DomainSettings(StrictModel):
    """The public name of the ALB. Empty ({}): no domain, a generated certificate imported into ACM."""

    name: str | None = Field(default=None, description="DNS name the ALB serves, e.g. pay.example.com.")
    hosted_zone_id: str | None = Field(
        default=None,
        validate_default=True,
        description="Route 53 public hosted zone id holding `name` (DNS validation of the certificate).",
    )

    @field_validator("name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a lowercase DNS name such as pay.example.com")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not _HOSTED_ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route 53 hosted zone id (Z followed by letters and digits)")
        if "name" in info.data and (info.data["name"] is None) != (value is None):
            raise ValueError("set both name and hostedZoneId (ACM with DNS validation), or neither ({})")
        return value

    @property
    def enabled(self) -> bool:
        return self.name is not None


class WebTierSettings(StrictModel):
    """Size of each colour of the EC2 web tier (both colours keep this size, so rollback is instant)."""

    instance_type: str = Field(description="Graviton (arm64) instance type, e.g. t4g.small.")
    min_size: int = Field(ge=1, le=20, description="Fewest instances per colour.")
    max_size: int = Field(ge=1, le=50, description="Most instances per colour.")
    desired_capacity: int = Field(ge=1, le=50, description="Instances per colour the group keeps.")

    @field_validator("instance_type")
    @classmethod
    def _graviton(cls, value: str) -> str:
        if not _GRAVITON.match(value):
            raise ValueError(f"{value!r} is not a Graviton (arm64) instance type such as t4g.small or m7g.large")
        return value

    @field_validator("desired_capacity")
    @classmethod
    def _between_min_and_max(cls, desired: int, info: ValidationInfo) -> int:
        low, high = info.data.get("min_size"), info.data.get("max_size")
        if low is not None and high is not None and not low <= desired <= high:
            raise ValueError(f"minSize ({low}) <= desiredCapacity ({desired}) <= maxSize ({high}) must hold")
        return desired


class WebImageSettings(StrictModel):
    """The machine image of the web tier, pinned: an instance launches exactly this image, whenever it
    launches, until `make bump-image` changes it on purpose.

    `id` is the AMI in this environment's region; `name` is the Amazon Linux 2023 arm64 release it
    is, the same in every region (AWS publishes each release under one name), so two environments in
    different regions can be checked to run the same image (the promotion gate compares names)."""

    id: str = Field(description="ami- id of the image in platform:region.")
    name: str = Field(
        description="The Amazon Linux 2023 arm64 release, e.g. al2023-ami-2023.11.20260427.1-kernel-6.1-arm64."
    )

    @field_validator("id")
    @classmethod
    def _ami_id(cls, value: str) -> str:
        if not AMI_ID.match(value):
            raise ValueError(f"{value!r} is not an AMI id; expected ami- and 8 or 17 lowercase hex digits")
        return value

    @field_validator("name")
    @classmethod
    def _al2023_arm64(cls, value: str) -> str:
        if not AL2023_ARM64_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an Amazon Linux 2023 arm64 release name; expected "
                "al2023-ami-2023.<minor>.<yyyymmdd>.<n>-kernel-<version>-arm64 (the web tier is Graviton and its "
                "user data is written for Amazon Linux 2023)"
            )
        return value


class TimeoutSettings(StrictModel):
    """Function timeouts in seconds: one value for every environment (checked across stack files)."""

    def of(self, function: FunctionSpec) -> int:
        return int(getattr(self, to_snake(function.key)))


_TIMEOUT_NOTES = {
    "api-gateway": "API Gateway gives up at 29 s",
    "alb": "the API behind the ALB (/api/*), as API Gateway's",
    "queue": "per batch; the queue's visibility timeout follows it",
    "deploy": "once per artifact at deploy time",
}
if TYPE_CHECKING:
    FunctionTimeouts = TimeoutSettings
else:
    # One key per payment function (shared/functions.py), defaulting to its row's timeout. The
    # deploy-time functions come last, after the ones that serve payments.
    FunctionTimeouts = create_model(
        "FunctionTimeouts",
        __base__=TimeoutSettings,
        __doc__=TimeoutSettings.__doc__,
        **{
            to_snake(function.key): (
                int,
                Field(
                    default=function.timeout_seconds,
                    ge=1,
                    le=function.timeout_limit_seconds,
                    description=f"{function.name}: {_TIMEOUT_NOTES[function.invoked_by]}.",
                ),
            )
            for function in sorted(FUNCTIONS, key=lambda function: function.invoked_by == "deploy")
        },
    )


class ApplicationSettings(StrictModel):
    # --- per environment: the stack files' values ---
    memory_mb: int = Field(ge=128, le=10240, description="Memory of every function in MB (CPU scales with it).")
    api_reserved_concurrency: int = Field(
        ge=1, description="Reserved concurrency of each API function (process-payment, verify-payment, the ALB's API)."
    )
    worker_reserved_concurrency: int = Field(
        description="Reserved concurrency of the settlement worker: at least queueMaximumConcurrency (AWS minimum 2)."
    )
    queue_maximum_concurrency: int = Field(
        ge=MIN_QUEUE_CONCURRENCY,
        le=1000,
        description="Most concurrent worker invocations the queue's event source mapping starts (2 to 1000).",
    )
    max_receive_count: int = Field(
        ge=1, le=1000, description="Deliveries of a payment message before it moves to the dead-letter queue."
    )
    notification_emails: EmailAddresses = Field(
        description="Email addresses subscribed to settlement notifications (each must confirm its subscription)."
    )
    account_concurrency_limit: int = Field(
        ge=UNRESERVABLE_CONCURRENCY + 1,
        description=(
            "The account's Lambda concurrency quota in this region (Service Quotas); reservations of every "
            "environment sharing the account and region must fit in it minus the 100 AWS keeps unreserved."
        ),
    )
    # --- API Gateway (application/api.py) ---
    api_throttle: ApiThrottle = Field(
        description="Stage throttling for all callers (MethodSettings */*) and for each API key (usage plan)."
    )
    api_quota: ApiQuota = Field(description="Usage plan quota of each merchant's API key.")
    api_logging_level: Literal["INFO", "ERROR"] = Field(
        description="API Gateway execution logging level (INFO or ERROR); data tracing is always off."
    )
    merchants: Annotated[list[MerchantIdSetting], AfterValidator(unique_merchants)] = Field(
        description=(
            "Merchants of every environment, declared once in application/Pulumi.yaml; each gets its own API key in "
            "the usage plan and its entries in the merchants table (docs/configuration.md: onboarding a merchant)."
        ),
    )
    environment_merchants: Annotated[list[MerchantIdSetting], AfterValidator(unique_merchants)] = Field(
        description=(
            "Merchants of this environment only (a test merchant in dev, a pilot in prod), on top of "
            "application:merchants; [] when none."
        ),
    )
    owns_api_gateway_account: bool = Field(
        description=(
            "Whether this stack owns apigateway.Account, the CloudWatch role of every API in its account and region; "
            "exactly one environment per account and region sets true."
        )
    )
    # --- edge: certificate, WAF ---
    domain: DomainSettings = Field(
        description="Public DNS name and Route 53 zone of the ALB (ACM, DNS-validated); {} for a generated "
        "certificate for the ALB's own name, imported into ACM."
    )
    waf: bool = Field(description="AWS WAF on the ALB: managed rule groups and a rate limit per client IP.")
    # --- web tier, blue/green ---
    web_tier: WebTierSettings = Field(description="Instance type and Auto Scaling sizes of each colour.")
    web_image: WebImageSettings = Field(
        description="The web tier's machine image, pinned: {id: ami-... in this region, name: its Amazon Linux 2023 "
        "arm64 release} (written by make bump-image; promoted environments carry their source's release)."
    )
    active_color: Color = Field(
        description="The colour the 443 listener sends traffic to (written by make release / make rollback)."
    )
    canary_percent: int = Field(
        ge=0, le=50, description="Share of traffic (0-50 %) the idle colour gets during a canary release step."
    )
    # --- one value for every environment ---
    timeouts: FunctionTimeouts = Field(
        default=FunctionTimeouts(), description="Function timeouts in seconds; identical in every environment."
    )
    batch_size: int = Field(default=10, ge=1, le=10000, description="Messages per worker invocation (1 to 10000).")
    batching_window_seconds: int = Field(
        default=1,
        ge=0,
        le=300,
        validate_default=True,
        description="Seconds the mapping waits to fill a batch (at least 1 above 10 messages).",
    )
    visibility_timeout_seconds: int = Field(
        default=180,
        ge=0,
        le=43200,
        validate_default=True,
        description="Payment queue visibility timeout: at least 6 x the worker's timeout.",
    )
    message_retention_seconds: int = Field(
        default=345600, ge=60, le=1209600, description="How long the payment queue keeps a message (default 4 days)."
    )
    dead_letter_retention_seconds: int = Field(
        default=1209600,
        ge=60,
        le=1209600,
        validate_default=True,
        description="How long dead-letter queues keep a message (default 14 days).",
    )
    waf_rate_limit: int = Field(
        default=2000,
        ge=100,
        le=2_000_000_000,
        description="Requests per client IP per 5 minutes before WAF blocks it (the API path included).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the functions' JSON logs (POWERTOOLS_LOG_LEVEL)."
    )

    @field_validator("environment_merchants")
    @classmethod
    def _merchants_listed_once(cls, merchants: list[str], info: ValidationInfo) -> list[str]:
        everywhere = info.data.get("merchants")
        if everywhere is None:  # application:merchants is invalid itself: its own problem is reported
            return merchants
        shared = [merchant for merchant in merchants if merchant in everywhere]
        if shared:
            raise ValueError(
                f"{', '.join(shared)} already in application:merchants (every environment's, application/Pulumi.yaml): "
                "list a merchant in one of the two"
            )
        if not everywhere and not merchants:
            raise ValueError("no merchant at all: declare at least one in application:merchants or here")
        return merchants

    @property
    def all_merchants(self) -> list[str]:
        """Every merchant of this environment: those of every environment, then its own."""
        return [*self.merchants, *self.environment_merchants]

    # Rules between keys: each is a validator of the later key, reading the earlier ones from info.data.

    @field_validator("worker_reserved_concurrency")
    @classmethod
    def _worker_can_take_batches(cls, worker: int) -> int:
        if worker < MIN_QUEUE_CONCURRENCY:
            raise ValueError(
                f"{worker} cannot work: an SQS event source mapping runs at least {MIN_QUEUE_CONCURRENCY} concurrent "
                f"invocations (its minimum maximum concurrency), so a reservation below {MIN_QUEUE_CONCURRENCY} "
                f"throttles batches; use at least {MIN_QUEUE_CONCURRENCY}"
            )
        return worker

    @field_validator("queue_maximum_concurrency")
    @classmethod
    def _within_the_workers_reservation(cls, queue: int, info: ValidationInfo) -> int:
        worker = info.data.get("worker_reserved_concurrency")
        if worker is not None and queue > worker:
            raise ValueError(
                f"{queue} is above workerReservedConcurrency {worker}: the queue would start invocations the "
                f"reservation throttles; make it at most {worker}"
            )
        return queue

    @field_validator("batching_window_seconds")
    @classmethod
    def _window_for_large_batches(cls, window: int, info: ValidationInfo) -> int:
        batch = info.data.get("batch_size")
        if batch is not None and batch > 10 and window < 1:
            raise ValueError(f"{window} with batchSize {batch}: a batch above 10 messages needs at least 1")
        return window

    @field_validator("visibility_timeout_seconds")
    @classmethod
    def _outlasts_the_queues_consumers(cls, visibility: int, info: ValidationInfo) -> int:
        timeouts: TimeoutSettings | None = info.data.get("timeouts")
        if timeouts is None:
            return visibility  # the timeouts' own problem is reported on their key
        for consumer in functions_invoked_by("queue"):
            timeout = timeouts.of(consumer)
            if visibility < (minimum := VISIBILITY_TIMEOUT_FACTOR * timeout):
                raise ValueError(
                    f"{visibility} is below {VISIBILITY_TIMEOUT_FACTOR} x timeouts.{consumer.key} ({timeout} s) = "
                    f"{minimum}: a batch still running would be delivered again"
                )
        return visibility

    @field_validator("dead_letter_retention_seconds")
    @classmethod
    def _outlasts_the_queue(cls, retention: int, info: ValidationInfo) -> int:
        queue = info.data.get("message_retention_seconds")
        if queue is not None and retention < queue:
            raise ValueError(
                f"{retention} is below messageRetentionSeconds {queue}: a message could expire in the DLQ before "
                "it would have in the queue"
            )
        return retention

    def reserved_concurrency_of(self, function: FunctionSpec) -> int:
        if function.api_facing:
            return self.api_reserved_concurrency
        return self.worker_reserved_concurrency if function.invoked_by == "queue" else MIGRATION_RESERVED_CONCURRENCY

    def weights(self) -> dict[Color, int]:
        """Listener weights per colour: the active colour keeps all but the canary share."""
        idle = other_color(self.active_color)
        return {self.active_color: 100 - self.canary_percent, idle: self.canary_percent}

    def environment_problems(self, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        return [
            *self._timeout_problems(others),
            *self._concurrency_problems(platform, others),
            *api_gateway_account_problems(self, platform, others),
        ]

    def _timeout_problems(self, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        ours = self.timeouts.model_dump(by_alias=True)
        return [
            f"application:timeouts: {ours} differs from {other.layer.timeouts.model_dump(by_alias=True)} in "
            f"Pulumi.{stack}.yaml; timeouts must be identical in every environment (prod runs what staging tested)"
            for stack, other in sorted(others.items())
            if other.layer.timeouts != self.timeouts
        ]

    def _concurrency_problems(self, platform: PlatformConfig, others: Mapping[str, StackConfig[Any]]) -> list[str]:
        """Environments sharing an account and region declare its one quota; what they reserve together is
        held against it by the AWS limits check over the plans (tooling/checks/limits)."""
        sharing = {
            stack: other
            for stack, other in sorted(others.items())
            if other.platform.region == platform.region
            and set(other.platform.allowed_account_ids) & set(platform.allowed_account_ids)
        }
        return [
            f"application:accountConcurrencyLimit: {self.account_concurrency_limit} here but "
            f"{other.layer.account_concurrency_limit} in Pulumi.{stack}.yaml, which shares the account and region; "
            "one account has one limit"
            for stack, other in sharing.items()
            if other.layer.account_concurrency_limit != self.account_concurrency_limit
        ]

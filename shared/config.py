"""Typed, validated stack configuration.

Every layer reads two namespaces from its `Pulumi.<stack>.yaml`: `platform:` (identical in all
four layers of one environment) and its own project namespace. Both are validated with pydantic
before any resource is declared; every problem is reported at once, naming the stack file, the
key and what is allowed.
"""

import json
import re
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel

from shared.environments import ENVIRONMENT_NAMES, LOG_RETENTION_DAYS, Environment, Region
from shared.errors import PlatformConfigError
from shared.stack_files import DEFAULT_ORG, REPO, read_stack_file, stack_files

PLATFORM_NAMESPACE = "platform"
# Namespaces Pulumi itself owns; anything else outside `platform:` and the project is a typo.
_ENGINE_NAMESPACES = ("pulumi",)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SUFFIX = re.compile(r"^[a-z0-9]{1,8}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class StrictModel(BaseModel):
    """camelCase keys as in Pulumi stack files; unknown keys are errors, not silently ignored.

    Rules that need more than a layer's own keys work on typed, validated models:
    - against the `platform:` block of the same stack: a field validator reads it with
      `platform_of(info)`, so its problem is reported together with every other one;
    - against the same layer in the other stack files: `environment_problems` gets their validated
      configs (stack name -> config), e.g. VPC ranges that must never overlap.
    Both run before any resource, the provider included, is declared.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    def environment_problems(self, platform: "PlatformConfig", others: "Mapping[str, StackConfig[Any]]") -> list[str]:
        """Problems across environments, each starting with the key it is about."""
        return []


def platform_of(info: ValidationInfo) -> "PlatformConfig | None":
    """The validated `platform:` block of the stack a layer setting belongs to; None when that block
    is itself invalid (its own problems are reported) or the model is validated on its own."""
    return (info.context or {}).get(PLATFORM_NAMESPACE)


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{days} is not a CloudWatch Logs retention; allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return days


def _account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"{value!r} is not a 12-digit AWS account id")
    return value


def _suffix(value: str) -> str:
    if not _SUFFIX.match(value):
        raise ValueError(
            f"{value!r} must be 1-8 lowercase letters or digits, so that every resource name "
            "({type}-{environment}-{suffix}) fits its AWS service's limit (load balancers: 32 characters)"
        )
    return value


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
    return value


def _email_addresses(addresses: list[str]) -> list[str]:
    invalid = [address for address in addresses if not _EMAIL.match(address)]
    if invalid:
        raise ValueError(f"{', '.join(map(repr, invalid))} not an email address")
    if len(set(addresses)) != len(addresses):
        raise ValueError("an address is listed twice")
    return addresses


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
AccountId = Annotated[str, AfterValidator(_account_id)]
# Recipients of the topics' email subscriptions: each one address, none listed twice.
EmailAddresses = Annotated[list[str], AfterValidator(_email_addresses)]


class PlatformConfig(StrictModel):
    """`platform:` keys: who and where this environment is. Identical across the four layers."""

    environment: Environment = Field(
        description=f"{ENVIRONMENT_NAMES}; the stack must be named after it (prod, or prod-<name>)."
    )
    environment_suffix: Annotated[str, AfterValidator(_suffix)] = Field(
        description="1-8 lowercase letters or digits ending every physical name ({type}-{environment}-{suffix})."
    )
    region: Region = Field(description="AWS region of every resource: a commercial region with at least three AZs.")
    application: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$", description="Application tag value.")
    cost_center: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{1,30}$", description="CostCenter tag value.")
    migration_date: date = Field(description="ISO date of the migration to this platform (MigrationDate tag).")
    log_retention_days: LogRetentionDays = Field(
        description="Retention of every CloudWatch log group and of the ALB access logs, in days "
        "(a CloudWatch Logs value: 1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
    )
    allowed_account_ids: list[AccountId] = Field(
        min_length=1, description="12-digit AWS account ids the provider may touch; it refuses any other."
    )
    deploy_role_arn: Annotated[str, AfterValidator(_role_arn)] | None = Field(
        default=None,
        description="IAM role the provider assumes (cross-account deploys); must be in an allowed account.",
    )
    localstack_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://[\w.-]+(:\d+)?/?$",
        description="http(s)://host:port: point every AWS service at LocalStack.",
    )
    stack_org: str = Field(
        default=DEFAULT_ORG,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Organization of the fully qualified stack names StackReferences read (self-managed "
        "backends know only `organization`).",
    )
    promoted_from: Environment | Literal["none"] = Field(
        default="none",
        description="The environment whose promotion record gates deploys of this one (make deploy and "
        "make promote refuse unless it ran the same commit and artifact) and whose record the application "
        "layer exports as promotedFrom; none: deploys of this environment are not gated.",
    )

    @property
    def promotion_source(self) -> str | None:
        """The environment this one is promoted from, or None (ungated)."""
        return None if self.promoted_from == "none" else self.promoted_from

    @model_validator(mode="after")
    def _not_promoted_from_itself(self) -> "PlatformConfig":
        if self.promoted_from == self.environment:
            raise ValueError(f"promotedFrom: {self.environment!r} cannot promote from itself")
        return self

    @model_validator(mode="after")
    def _role_in_allowed_account(self) -> "PlatformConfig":
        if self.deploy_role_arn and self.deploy_role_arn.split(":")[4] not in self.allowed_account_ids:
            raise ValueError(
                f"deployRoleArn is in account {self.deploy_role_arn.split(':')[4]}, "
                f"which is not in allowedAccountIds {self.allowed_account_ids}"
            )
        return self


LayerSettingsT = TypeVar("LayerSettingsT", bound=StrictModel)
ModelT = TypeVar("ModelT", bound=BaseModel)


class StackConfig(BaseModel, Generic[LayerSettingsT]):
    """A layer's whole configuration: the shared platform block and its own settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: PlatformConfig
    layer: LayerSettingsT


def _decode(value: Any) -> Any:
    """Pulumi hands structured config values to programs as JSON strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _key_of(loc: tuple[Any, ...], project: str) -> str:
    namespace = PLATFORM_NAMESPACE if loc[0] == "platform" else project
    path = ".".join(str(part) for part in loc[1:])
    return f"{namespace}:{path}" if path else namespace


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The nested model that holds the last key of `path` (keys as written, i.e. aliases)."""
    for part in path:
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _describe(error: Any, project: str, settings_model: type[StrictModel], secret_keys: Collection[str]) -> str:
    loc = error["loc"]
    key = _key_of(loc, project)
    kind = error["type"]
    if kind == "missing":
        return f"{key}: missing; declare it in the stack file"
    if kind == "extra_forbidden":
        model = _model_at(PlatformConfig if loc[0] == "platform" else settings_model, loc[1:-1])
        allowed = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items())) if model else ""
        return f"{key}: unknown key; allowed keys here: {allowed or 'none'}"
    message = error["msg"].removeprefix("Value error, ")
    if "input" not in error or kind == "value_error":
        return f"{key}: {message}"
    shown = "value hidden: it is a secret" if key.split(".")[0] in secret_keys else f"got {error['input']!r}"
    return f"{key}: {message} ({shown})"


def parse_stack_config(
    raw: dict[str, Any],
    project: str,
    settings_model: type[LayerSettingsT],
    stack_file: str,
    secret_keys: Collection[str] = frozenset(),
) -> StackConfig[LayerSettingsT]:
    """Validate flat Pulumi config (`namespace:key` -> value) into a typed StackConfig.

    Raises PlatformConfigError listing every problem, each with the key and what is allowed;
    values of `secret_keys` are never echoed.
    """
    grouped: dict[str, dict[str, Any]] = {"platform": {}, "layer": {}}
    problems: list[str] = []
    for full_key, value in sorted(raw.items()):
        namespace, _, key = full_key.partition(":")
        if namespace == PLATFORM_NAMESPACE:
            grouped["platform"][key] = _decode(value)
        elif namespace == project:
            grouped["layer"][key] = _decode(value)
        elif namespace not in _ENGINE_NAMESPACES:
            problems.append(
                f"{full_key}: namespace {namespace!r} is not read by this layer; "
                f"allowed namespaces: {PLATFORM_NAMESPACE}, {project}"
                + (" (the AWS provider is configured from platform:region)" if namespace == "aws" else "")
            )

    def validated(model: type[ModelT], part: str, platform: "PlatformConfig | None") -> ModelT | None:
        try:
            return model.model_validate(grouped[part], context={PLATFORM_NAMESPACE: platform})
        except ValidationError as exc:
            problems.extend(
                _describe({**err, "loc": (part, *err["loc"])}, project, settings_model, secret_keys)
                for err in exc.errors()
            )
            return None

    platform = validated(PlatformConfig, "platform", None)
    layer = validated(settings_model, "layer", platform)
    _raise_if_any(problems, stack_file)
    if platform is None or layer is None:  # unreachable: a part that did not validate added a problem
        raise AssertionError("validation failed without a problem")
    return StackConfig[settings_model](platform=platform, layer=layer)  # type: ignore[valid-type]


def _raise_if_any(problems: list[str], stack_file: str) -> None:
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise PlatformConfigError(
            f"Invalid stack configuration in {stack_file} ({len(problems)} problem(s)):\n{listing}"
        )


def check_across_environments(
    config: StackConfig[LayerSettingsT],
    project: str,
    settings_model: type[LayerSettingsT],
    project_dir: Path,
    stack_file: str,
) -> None:
    """Run the layer's `environment_problems` against every other stack file of its project.

    The other files are validated with the same model first: a rule across environments is only as
    good as the values it compares, so an invalid neighbour is reported rather than skipped.
    """
    others: dict[str, StackConfig[LayerSettingsT]] = {}
    own = (config.platform.environment, config.platform.environment_suffix)
    for stack, path in stack_files(project_dir).items():
        raw = read_stack_file(path)
        secret_keys = {key for key, value in raw.items() if isinstance(value, dict)}
        other = parse_stack_config(
            {k: ("[secret]" if k in secret_keys else v) for k, v in raw.items()},
            project,
            settings_model,
            f"{project}/{path.name}",
            secret_keys,
        )
        if (other.platform.environment, other.platform.environment_suffix) != own:
            others[stack] = other
    _raise_if_any(config.layer.environment_problems(config.platform, others), stack_file)


def current_raw_config() -> dict[str, Any]:
    """All config the Pulumi engine (or the mock runtime) handed to this program."""
    return {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}


def load_stack_config(project: str, settings_model: type[LayerSettingsT]) -> StackConfig[LayerSettingsT]:
    """Validate the running stack's config; also check the stack name matches platform:environment."""
    stack = pulumi.get_stack()
    stack_file = f"{project}/Pulumi.{stack}.yaml"
    raw = current_raw_config()
    secret_keys = {key for key in raw if pulumi.runtime.config.is_config_secret(key)}
    config = parse_stack_config(raw, project, settings_model, stack_file, secret_keys)
    environment = config.platform.environment
    if stack != environment and not stack.startswith(f"{environment}-"):
        raise PlatformConfigError(
            f"Invalid stack configuration in {stack_file}: platform:environment is {environment!r} but the "
            f"stack is {stack!r}; a stack must be named after its environment ({environment} or {environment}-<name>)"
        )
    check_across_environments(config, project, settings_model, REPO / project, stack_file)
    return config

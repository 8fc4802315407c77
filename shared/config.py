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
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from shared.environments import ENVIRONMENT_NAMES, LOG_RETENTION_DAYS, Environment, Region
from shared.errors import PlatformConfigError, StackFileError
from shared.stack_files import DEFAULT_ORG, REPO, read_effective_config, shown_path, stack_files

PLATFORM_NAMESPACE = "platform"
# Namespaces Pulumi itself owns; anything else outside `platform:` and the project is a typo.
_ENGINE_NAMESPACES = ("pulumi",)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SUFFIX = re.compile(r"^[a-z0-9]{1,8}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class StrictModel(BaseModel):
    """camelCase keys as in Pulumi stack files; unknown keys are errors, not silently ignored.

    Every problem is reported at once, so rules are field validators, never model validators (which
    pydantic runs only once every field is valid, hiding their problems until the others are fixed):
    - between keys of one model: a validator of the later field reads the earlier ones from
      `info.data` (a key that is itself invalid is missing there; its own problem is reported);
    - against the `platform:` block of the same stack: a field validator reads it with
      `platform_of(info)`;
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


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _unique(values: list[Any]) -> list[Any]:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return values


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
AccountId = Annotated[str, AfterValidator(_account_id)]
EmailAddresses = Annotated[list[Annotated[str, AfterValidator(_email)]], AfterValidator(_unique)]
"""Recipients of an SNS topic's email subscriptions: each an address, none twice."""


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

    @field_validator("promoted_from")
    @classmethod
    def _not_promoted_from_itself(cls, source: str, info: ValidationInfo) -> str:
        if source == info.data.get("environment"):
            raise ValueError(f"{source!r} cannot promote from itself")
        return source

    @field_validator("deploy_role_arn")
    @classmethod
    def _role_in_allowed_account(cls, arn: str | None, info: ValidationInfo) -> str | None:
        allowed = info.data.get("allowed_account_ids")
        if arn and allowed is not None and arn.split(":")[4] not in allowed:
            raise ValueError(
                f"{arn!r} is in account {arn.split(':')[4]}, which is not in platform:allowedAccountIds "
                f"({', '.join(allowed)})"
            )
        return arn


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


def _key_of(loc: tuple[Any, ...], project: str, model: type[BaseModel]) -> str:
    """`namespace:key.nested` as written in the stack file (a default that failed is located by its
    Python name: shown by its alias)."""
    namespace = PLATFORM_NAMESPACE if loc[0] == "platform" else project
    parts = []
    for depth, part in enumerate(loc[1:]):
        holder = _model_at(model, loc[1 : 1 + depth])
        field = holder.model_fields.get(part) if holder and isinstance(part, str) else None
        parts.append(str(field.alias if field and field.alias else part))
    return f"{namespace}:{'.'.join(parts)}" if parts else namespace


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
    root = PlatformConfig if loc[0] == "platform" else settings_model
    key = _key_of(loc, project, root)
    kind = error["type"]
    if kind == "missing":
        return f"{key}: missing; declare it in the stack file"
    if kind == "extra_forbidden":
        model = _model_at(root, loc[1:-1])
        allowed = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items())) if model else ""
        return f"{key}: unknown key; allowed keys here: {allowed or 'none'}"
    message = error["msg"].removeprefix("Value error, ")
    if "input" not in error or kind == "value_error":
        return f"{key}: {message}"
    shown = "value hidden: it is a secret" if key.split(".")[0] in secret_keys else f"got {error['input']!r}"
    return f"{key}: {message} ({shown})"


def stack_config_problems(
    raw: dict[str, Any],
    project: str,
    settings_model: type[LayerSettingsT],
    secret_keys: Collection[str] = frozenset(),
) -> tuple["StackConfig[LayerSettingsT] | None", list[str]]:
    """Validate flat Pulumi config (`namespace:key` -> value): the typed StackConfig, or None and every
    problem, each naming the key and what is allowed; values of `secret_keys` are never echoed."""
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
    if problems or platform is None or layer is None:
        return None, problems
    return StackConfig[settings_model](platform=platform, layer=layer), []  # type: ignore[valid-type]


def parse_stack_config(
    raw: dict[str, Any],
    project: str,
    settings_model: type[LayerSettingsT],
    stack_file: str,
    secret_keys: Collection[str] = frozenset(),
) -> StackConfig[LayerSettingsT]:
    """`stack_config_problems`, raising PlatformConfigError listing every problem."""
    config, problems = stack_config_problems(raw, project, settings_model, secret_keys)
    _raise_if_any(problems, stack_file)
    if config is None:  # unreachable: a part that did not validate added a problem
        raise AssertionError("validation failed without a problem")
    return config


def _raise_if_any(problems: list[str], stack_file: str) -> None:
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise PlatformConfigError(
            f"Invalid stack configuration in {stack_file} ({len(problems)} problem(s)):\n{listing}"
        )


def masked_stack_file(path: Path) -> tuple[dict[str, Any], set[str]]:
    """A stack's config (its project's values under its stack file's) with encrypted values replaced by a
    placeholder, and the keys replaced."""
    raw = read_effective_config(path)
    secret_keys = {key for key, value in raw.items() if isinstance(value, dict)}
    return {k: ("[secret]" if k in secret_keys else v) for k, v in raw.items()}, secret_keys


def across_environment_problems(
    config: StackConfig[LayerSettingsT], project: str, settings_model: type[LayerSettingsT], project_dir: Path
) -> list[str]:
    """The layer's `environment_problems` against every other stack file of its project.

    The other files are validated with the same model first: a rule across environments is only as
    good as the values it compares, so an invalid neighbour is reported rather than skipped.
    """
    others: dict[str, StackConfig[LayerSettingsT]] = {}
    problems: list[str] = []
    own = (config.platform.environment, config.platform.environment_suffix)
    for stack, path in stack_files(project_dir).items():
        try:
            raw, secret_keys = masked_stack_file(path)
        except StackFileError as error:
            problems += error.problems
            continue
        other, found = stack_config_problems(raw, project, settings_model, secret_keys)
        problems += [f"{shown_path(path)}: {problem}" for problem in found]
        if other is not None and (other.platform.environment, other.platform.environment_suffix) != own:
            others[stack] = other
    return problems + config.layer.environment_problems(config.platform, others)


def check_across_environments(
    config: StackConfig[LayerSettingsT],
    project: str,
    settings_model: type[LayerSettingsT],
    project_dir: Path,
    stack_file: str,
) -> None:
    """`across_environment_problems`, raising PlatformConfigError listing every problem."""
    _raise_if_any(across_environment_problems(config, project, settings_model, project_dir), stack_file)


def current_raw_config() -> dict[str, Any]:
    """All config the Pulumi engine (or the mock runtime) handed to this program."""
    return {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}


def stack_name_problem(stack: str, environment: str) -> str | None:
    """A stack is named after its environment (`prod`, or `prod-<name>`); None when it is."""
    if stack == environment or stack.startswith(f"{environment}-"):
        return None
    return (
        f"platform:environment is {environment!r} but the stack is {stack!r}; a stack must be named after its "
        f"environment ({environment} or {environment}-<name>)"
    )


def load_stack_config(project: str, settings_model: type[LayerSettingsT]) -> StackConfig[LayerSettingsT]:
    """Validate the running stack's config; also check the stack name matches platform:environment."""
    stack = pulumi.get_stack()
    stack_file = f"{project}/Pulumi.{stack}.yaml"
    raw = current_raw_config()
    secret_keys = {key for key in raw if pulumi.runtime.config.is_config_secret(key)}
    config = parse_stack_config(raw, project, settings_model, stack_file, secret_keys)
    if problem := stack_name_problem(stack, config.platform.environment):
        raise PlatformConfigError(f"Invalid stack configuration in {stack_file}: {problem}")
    check_across_environments(config, project, settings_model, REPO / project, stack_file)
    return config

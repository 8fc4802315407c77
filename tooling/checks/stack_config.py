"""Every stack file checked together, before anything is planned: what `make test` holds them to.

The offline plan (and so `make plan`, `policy`, `parity`, `scan`, `cost` and `graph`) runs
`check_stack_files` before the first layer, and the tests call the same functions, so a plan is
refused for anything the tests would refuse. Every problem of every stack file is listed at once,
each on one line that starts with its file:

- the file reads as a Pulumi stack file: valid YAML (the error's line and column), no key twice;
- it declares the environment it is named after (`Pulumi.<env>.yaml`, `platform:environment: <env>`);
- its `platform:` block and its project's namespace validate against their settings models, rules
  between keys included (`shared/config.py`, `<project>/settings.py`);
- the rules across environments of its project (`environment_problems`: VPC ranges, timeouts, the
  account's concurrency budget, ...);
- the `platform:` block is the same in every project of one environment;
- every environment declares the same keys, and a value differs between environments only where
  `shared/variations.py` declares what it may change.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from accounts.settings import AccountsSettings
from application.settings import ApplicationSettings
from data.settings import DataSettings
from networking.settings import NetworkingSettings
from observability.settings import ObservabilitySettings
from shared import stack_files
from shared.config import (
    PLATFORM_NAMESPACE,
    PlatformConfig,
    StackConfig,
    StrictModel,
    masked_stack_file,
    stack_config_problems,
    stack_name_problem,
)
from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.errors import PlatformConfigError, StackFileError
from shared.variations import IDENTITY_KEYS, VARIATIONS

SETTINGS_MODELS: Mapping[str, type[StrictModel]] = {
    PLATFORM_NAMESPACE: PlatformConfig,
    "networking": NetworkingSettings,
    "data": DataSettings,
    "application": ApplicationSettings,
    "observability": ObservabilitySettings,
    "accounts": AccountsSettings,
}
# Projects with stack files: the four layers, and the per-account bootstrap (not a layer).
PROJECTS: tuple[str, ...] = (*DEPLOY_ORDER, "accounts")


@dataclass(frozen=True)
class StackFile:
    """One project's stack file as read: its config (secrets masked) and, when valid, the typed config."""

    project: str
    stack: str
    path: Path
    raw: Mapping[str, Any]
    config: StackConfig[Any] | None

    @property
    def where(self) -> str:
        return stack_files.shown_path(self.path)


def read_stack_files(projects: Sequence[str] = PROJECTS) -> tuple[list[StackFile], list[str]]:
    """Every stack file of every project (each environment's, and any other stack's), and the problems of
    the files that cannot be read or do not validate on their own."""
    read: list[StackFile] = []
    problems: list[str] = []
    for project in projects:
        directory = stack_files.REPO / project
        paths = {env: stack_files.stack_file(project, env) for env in ENVIRONMENTS} | stack_files.stack_files(directory)
        for stack, path in paths.items():
            where = stack_files.shown_path(path)
            if not path.is_file():
                problems.append(f"{where} is missing: every project needs a stack file per environment")
                continue
            try:
                raw, secret_keys = masked_stack_file(path)
            except StackFileError as error:
                problems += error.problems
                continue
            settings = SETTINGS_MODELS[project]
            config, found = stack_config_problems(raw, project, settings, secret_keys)
            problems += [f"{where}: {problem}" for problem in found]
            if config is not None and (named := stack_name_problem(stack, config.platform.environment)):
                problems.append(f"{where}: {named}")
            read.append(StackFile(project, stack, path, raw, config))
    return read, problems


def across_environments(files: Sequence[StackFile]) -> list[str]:
    """Each valid file's rules across environments, against the valid files of its project's other
    environments (an invalid file has its own problems reported)."""
    problems = []
    for file in files:
        if file.config is None:
            continue
        own = (file.config.platform.environment, file.config.platform.environment_suffix)
        others = {
            other.stack: other.config
            for other in files
            if other.project == file.project
            and other.config is not None
            and (other.config.platform.environment, other.config.platform.environment_suffix) != own
        }
        found = file.config.layer.environment_problems(file.config.platform, others)
        problems += [f"{file.where}: {problem}" for problem in found]
    return problems


def platform_block_problems(files: Sequence[StackFile]) -> list[str]:
    """The `platform:` block is one environment's identity: the same in each of its projects. Keys the
    model declares are compared, a key left out as its default (a misspelt key is its file's problem)."""
    defaults = {
        f"{PLATFORM_NAMESPACE}:{field.alias or name}": field.default
        for name, field in PlatformConfig.model_fields.items()
    }
    problems = []
    for stack in dict.fromkeys(f.stack for f in files):
        blocks = {f.project: f.raw for f in files if f.stack == stack}
        for key, default in defaults.items():
            by_value: dict[str, list[str]] = {}
            for project, raw in blocks.items():
                if key in raw or default is not PydanticUndefined:
                    value = raw.get(key, default)
                    by_value.setdefault("(not set)" if value is None else str(value), []).append(project)
            if len(by_value) > 1:
                listing = "; ".join(f"{value} in {', '.join(projects)}" for value, projects in by_value.items())
                problems.append(
                    f"{key} differs between the projects of {stack} ({listing}): the platform: block is the same in "
                    f"every project's Pulumi.{stack}.yaml; set one value in all of them (shared/variations.py "
                    "declares differences between environments, never between layers)"
                )
    return problems


def same_key_problems(files: Sequence[StackFile]) -> list[str]:
    """Every environment's stack file of a project declares the same keys, so that two of them side by
    side show every difference (a default in one and a value in another would hide one)."""
    problems = []
    for project in dict.fromkeys(f.project for f in files):
        keys = {f.stack: (f, set(f.raw)) for f in files if f.project == project and f.stack in ENVIRONMENTS}
        every = set().union(*(declared for _, declared in keys.values()))
        for file, declared in keys.values():
            for key in sorted(every - declared):
                setters = ", ".join(f"Pulumi.{s}.yaml" for s, (_, d) in keys.items() if key in d)
                problems.append(
                    f"{file.where}: lacks {key}, which {setters} declares: every environment declares the same keys "
                    "(set the value this environment needs)"
                )
    return problems


def stack_values(files: Sequence[StackFile]) -> dict[str, dict[str, Any]]:
    """Environment -> every key its stack files set, structured values decoded (the platform block is the
    same in all projects)."""
    values: dict[str, dict[str, Any]] = {env: {} for env in ENVIRONMENTS}
    for file in files:
        if file.stack in values:
            for key, value in file.raw.items():
                values[file.stack][key] = json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
    return values


def undeclared_differences(values: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Keys whose value differs between two environments with no entry in shared/variations.py (a key some
    environment does not set is `same_key_problems`' to report)."""
    keys = sorted(set.intersection(*(set(per_env) for per_env in values.values())))
    problems = []
    for key in keys:
        seen = {env: per_env.get(key) for env, per_env in values.items()}
        if len({json.dumps(v, sort_keys=True) for v in seen.values()}) > 1 and key not in (*IDENTITY_KEYS, *VARIATIONS):
            shown = ", ".join(f"{env}={json.dumps(v)}" for env, v in seen.items())
            problems.append(
                f"{key} differs between environments ({shown}) but shared/variations.py does not declare "
                "what it may change: add an entry, or set the same value everywhere"
            )
    return problems


def stack_file_problems(projects: Sequence[str] = PROJECTS) -> list[str]:
    """Every problem of every stack file, each on one line starting with the file (or key) it is about."""
    files, problems = read_stack_files(projects)
    # The rules between files compare valid files: an invalid one has its own problems listed, and a typo
    # in it would only be listed again as a difference.
    valid = [file for file in files if file.config is not None]
    return [
        *problems,
        *across_environments(valid),
        *platform_block_problems(files),
        *same_key_problems(valid),
        *undeclared_differences(stack_values(valid)),
    ]


def check_stack_files() -> None:
    """PlatformConfigError listing every problem of every stack file, before anything is planned."""
    problems = stack_file_problems()
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise PlatformConfigError(f"Invalid stack configuration ({len(problems)} problem(s)):\n{listing}")

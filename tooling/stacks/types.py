"""What every module of tooling/stacks shares, and nothing else: one layer's stack, the backend, one
environment's stacks ready for the CLI, and the errors and exit codes the commands turn them into.

The lowest module of the package: it imports nothing from tooling/stacks, so every other module can
import it (the import contracts in pyproject.toml keep it that way).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.projects import qualified_stack_name
from shared.stack_files import REPO

PROD = "prod"
SELF_MANAGED_SCHEMES = ("file", "s3", "gs", "azblob", "postgres")
REFUSED = 2
FAILED = 1
INTERRUPTED = 130


class Refusal(Exception):
    """A reason not to start: printed as one line, exit code 2, nothing destroyed or deployed."""


class LayerFailure(Exception):
    """A pulumi command failed for one layer."""


class Stopped(Exception):
    """The run stopped at a failing layer; later layers were not run."""


@dataclass(frozen=True)
class Stack:
    """One layer's stack of one environment, as its `Pulumi.<env>.yaml` declares it."""

    layer: str
    env: str
    org: str
    config: Mapping[str, Any]
    secrets_provider: str
    directory: Path | None = None  # the project's directory, when it is not <repo>/<layer>

    @property
    def name(self) -> str:
        return qualified_stack_name(self.org, self.layer, self.env)

    @property
    def cwd(self) -> Path:
        return self.directory or REPO / self.layer

    @property
    def stack_file(self) -> Path:
        return self.cwd / f"Pulumi.{self.env}.yaml"


@dataclass(frozen=True)
class Backend:
    url: str
    defaulted: bool

    @property
    def self_managed(self) -> bool:
        return self.url.split("://", 1)[0] in SELF_MANAGED_SCHEMES

    def describe(self) -> str:
        if self.defaulted:
            return f"backend: {self.url} (local file backend inside the repo; PULUMI_BACKEND_URL is unset)"
        return f"backend: {self.url} (from PULUMI_BACKEND_URL)"


@dataclass(frozen=True)
class Target:
    """One environment's stacks, ready for the CLI: the environment its child processes get
    (PULUMI_BACKEND_URL always set, credentials and the deployer added) and the backend it names."""

    env: str
    stacks: Sequence[Stack]
    executable: str
    backend: Backend
    child_env: Mapping[str, str]

    @property
    def prod(self) -> bool:
        return self.env == PROD

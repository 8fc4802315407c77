"""Checks made before the real Pulumi CLI runs, each refusing with one clear line.

Environment and prod confirmation, stack files, the `pulumi` CLI, the backend and its org, the
secrets passphrase, and AWS credentials (looked up offline, the way the AWS CLI chain would).
`resolve_target` runs them in order for one environment: the real-CLI driver, `make drift` and
`make compare` all reach their stacks through it, so they use the same backend, names and
credentials.
"""

import configparser
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.projects import qualified_stack_name
from shared.stack_files import DEFAULT_ORG, REPO, read_stack_file, stack_file

LOCAL_STATE = REPO / ".pulumi-state"
SELF_MANAGED_SCHEMES = ("file", "s3", "gs", "azblob", "postgres")
PROD = "prod"
GUARDED_COMMANDS = ("deploy", "destroy")
PLAN_DIGEST_LENGTH = 12
INSTANCE_PROFILE_FLAG = "PLATFORM_AWS_INSTANCE_PROFILE"
LOCALSTACK_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


class Refusal(Exception):
    """A reason not to start: printed as one line, exit code 2, nothing destroyed or deployed."""


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
    """One environment's four stacks, ready for the CLI: the environment its child processes get
    (PULUMI_BACKEND_URL always set, credentials added where needed) and the backend it names."""

    env: str
    stacks: Sequence[Stack]
    executable: str
    backend: Backend
    child_env: Mapping[str, str]


def check_environment(command: str, env: str) -> None:
    allowed = "|".join(ENVIRONMENTS)
    if not env:
        raise Refusal(f"ENV is required: make {command} ENV={allowed} (or --env)")
    if env not in ENVIRONMENTS:
        raise Refusal(f"unknown environment {env!r}; allowed: {', '.join(ENVIRONMENTS)}")


def is_plan_digest(confirm: str) -> bool:
    """A plan digest as `make preview` prints it: 12 lowercase hex characters."""
    return len(confirm) == PLAN_DIGEST_LENGTH and all(c in "0123456789abcdef" for c in confirm)


def check_confirmation(command: str, env: str, confirm: str) -> None:
    """Prod needs CONFIRM=prod, or the plan digest (required when the plan broadens permissions)."""
    confirmed = confirm == PROD or (command == "deploy" and is_plan_digest(confirm))
    if env == PROD and command in GUARDED_COMMANDS and not confirmed:
        raise Refusal(
            f"refusing to {command} prod without confirmation: run make {command} ENV=prod CONFIRM=prod "
            "(or --confirm prod)"
        )


def load_stacks(env: str) -> list[Stack]:
    return [load_stack(layer, env) for layer in DEPLOY_ORDER]


def load_stack(layer: str, env: str) -> Stack:
    path = stack_file(layer, env)
    if not path.is_file():
        raise Refusal(f"{layer}/{path.name} is missing: every layer needs a stack file per environment")
    config = read_stack_file(path)
    document = yaml.safe_load(path.read_text()) or {}
    return Stack(
        layer=layer,
        env=env,
        org=str(config.get("platform:stackOrg", DEFAULT_ORG)),
        config=config,
        secrets_provider=str(document.get("secretsprovider") or "passphrase"),
    )


# --- preflight: CLI, backend, passphrase, AWS credentials -----------------------------------


def find_pulumi() -> str:
    executable = shutil.which("pulumi")
    if executable is None:
        raise Refusal(
            "the pulumi CLI is not on PATH: install it with `curl -fsSL https://get.pulumi.com | sh` "
            "(or `brew install pulumi/tap/pulumi`, see https://www.pulumi.com/docs/install/) and open a new shell"
        )
    return executable


def resolve_backend(environ: Mapping[str, str]) -> Backend:
    url = environ.get("PULUMI_BACKEND_URL", "")
    if url:
        return Backend(url, defaulted=False)
    return Backend(LOCAL_STATE.as_uri(), defaulted=True)


def check_org(stacks: Sequence[Stack], backend: Backend) -> None:
    orgs = {stack.org for stack in stacks}
    if len(orgs) > 1:
        raise Refusal(
            f"platform:stackOrg differs between layers ({', '.join(sorted(orgs))}): "
            "StackReferences need one org, set the same value in every layer's stack file"
        )
    if backend.self_managed and orgs != {DEFAULT_ORG}:
        raise Refusal(
            f"platform:stackOrg is {orgs.pop()!r}, but a self-managed backend ({backend.url}) only has the org "
            f"{DEFAULT_ORG!r}: remove the key from the stack files or use a Pulumi Cloud backend"
        )
    if not backend.self_managed and orgs == {DEFAULT_ORG}:
        raise Refusal(
            f"platform:stackOrg is {DEFAULT_ORG!r} (the self-managed default), but {backend.url} is a Pulumi Cloud "
            "backend: set platform:stackOrg to your Pulumi organization in every layer's stack file"
        )


def check_passphrase(stacks: Sequence[Stack], backend: Backend, environ: Mapping[str, str]) -> None:
    uses_passphrase = any(stack.secrets_provider.startswith("passphrase") for stack in stacks)
    if not (backend.self_managed and uses_passphrase):
        return
    passphrase_file = environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if passphrase_file and not Path(passphrase_file).is_file():
        raise Refusal(f"PULUMI_CONFIG_PASSPHRASE_FILE={passphrase_file} does not exist")
    if "PULUMI_CONFIG_PASSPHRASE" not in environ and not passphrase_file:
        raise Refusal(
            "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set: the self-managed backend "
            "encrypts secrets with it; export the same one for all layers (a StackReference needs it to "
            "read the layer below)"
        )


def ini_sections(path: Path) -> set[str]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return set()
    return set(parser.sections())


def profile_source(environ: Mapping[str, str], home: Path) -> str | None:
    """Where the AWS CLI would find the selected profile (AWS_PROFILE, else `default`), if anywhere."""
    name = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    credentials = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    config = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    if name in ini_sections(credentials):
        return f"profile {name!r} in {credentials}"
    if {name, f"profile {name}"} & ini_sections(config):
        return f"profile {name!r} in {config}"
    return None


def credential_source(environ: Mapping[str, str], home: Path) -> str | None:
    """The first source of the AWS credential chain that is configured, checked without network."""
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    if environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and environ.get("AWS_ROLE_ARN"):
        return "AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN"
    if environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return "container credentials"
    if environ.get(INSTANCE_PROFILE_FLAG) == "1":
        return f"EC2 instance profile ({INSTANCE_PROFILE_FLAG}=1)"
    return profile_source(environ, home)


def check_named_profile(environ: Mapping[str, str], home: Path) -> None:
    name = environ.get("AWS_PROFILE")
    if name and profile_source(environ, home) is None:
        raise Refusal(
            f"AWS_PROFILE={name} is not a profile in ~/.aws/credentials or ~/.aws/config: "
            "check the name (`aws configure list-profiles`) or unset it"
        )


def aws_credentials(stacks: Sequence[Stack], environ: Mapping[str, str], home: Path) -> dict[str, str]:
    """Checks that AWS credentials exist; returns what the child needs on top of `environ`.

    LocalStack (platform:localstackEndpoint in every layer's stack file) accepts any credentials:
    fake ones are supplied when none are configured.
    """
    if all(stack.config.get("platform:localstackEndpoint") for stack in stacks):
        if credential_source(environ, home):
            return {}
        print("AWS credentials: none configured, using test/test for LocalStack")
        return dict(LOCALSTACK_CREDENTIALS)
    check_named_profile(environ, home)
    source = credential_source(environ, home)
    if source is None:
        raise Refusal(
            "no AWS credentials found: set AWS_PROFILE (a profile in ~/.aws/credentials or ~/.aws/config, e.g. "
            "after `aws configure` or `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or point the stack files at LocalStack with platform:localstackEndpoint"
        )
    print(f"AWS credentials: {source}")
    return {}


# --- all of it, for one environment ---------------------------------------------------------


def resolve_target(command: str, env: str, environ: Mapping[str, str], home: Path, *, aws: bool) -> Target:
    """Every check that can refuse, in order; `aws=False` for commands that only read the backend."""
    check_environment(command, env)
    stacks = load_stacks(env)
    executable = find_pulumi()
    backend = resolve_backend(environ)
    check_org(stacks, backend)
    check_passphrase(stacks, backend, environ)
    extra_env = aws_credentials(stacks, environ, home) if aws else {}
    child_env = {**environ, **extra_env, "PULUMI_BACKEND_URL": backend.url}
    return Target(env, stacks, executable, backend, child_env)


def check_backend_exists(backend: Backend, env: str) -> None:
    """For commands that only read deployed stacks: a file backend that does not exist holds nothing."""
    if not backend.url.startswith("file://"):
        return
    path = Path(backend.url.removeprefix("file://"))
    if not path.is_dir():
        where = "PULUMI_BACKEND_URL is unset" if backend.defaulted else "from PULUMI_BACKEND_URL"
        raise Refusal(
            f"the backend {backend.url} ({where}) does not exist, so nothing is deployed there: "
            f"deploy first (make deploy ENV={env}) or set PULUMI_BACKEND_URL to the backend that holds the stacks"
        )

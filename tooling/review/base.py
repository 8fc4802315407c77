"""The base of a review: a commit checked out in a temporary `git worktree` and planned with its own code.

The base is planned in a child process of the same `.venv` whose working directory and `PYTHONPATH`
are the temporary worktree, so `shared`, the layers and `tooling.plan` are imported from the base's
files, not from the editable install of the working tree (the child checks where they came from and
stops if not). The Lambda artifact is rebuilt from the base's sources; the dependency cache of the
working tree's `build/lambda/deps` is linked in first, so no download happens unless the base's lock
differs. Packages are the working tree's: when `pyproject.toml` or the lock differ between base and
head the review says so.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.contracts import DEPLOY_ORDER
from shared.stack_files import REPO, read_effective_config

PACKAGE_FILES = ("pyproject.toml", "constraints.txt", "constraints-checkov.txt", "uv.lock")
DEPS_CACHE = Path("build") / "lambda" / "deps"
LOG = "planning.log"

# Runs inside the base worktree: plans each environment with the base's own code. Writes <out>/<env>.json,
# or <out>/<env>.error with the one-line reason the base could not be planned.
PLAN_BASE = """
import json, sys, traceback
from pathlib import Path
root = Path.cwd().resolve()
import shared, tooling.plan
for module in (shared, tooling.plan):
    if not Path(module.__file__).resolve().is_relative_to(root):
        sys.exit(f"the base imported {module.__name__} from {module.__file__}, not from {root}")
try:  # where planning an environment (its promotion source's record answered offline) lives today
    from tooling.checks.record import plan_environment
except ImportError:  # bases from before the plan engine stopped building records itself
    plan_environment = tooling.plan.plan_environment
out = Path(sys.argv[1])
for env in sys.argv[2:]:
    try:
        plan = plan_environment(env)
    except Exception as exc:
        (out / f"{env}.error").write_text(f"{type(exc).__name__}: {exc}".splitlines()[0])
        continue
    (out / f"{env}.json").write_text(json.dumps(plan))
"""


class GitError(ValueError):
    """A base that git cannot resolve, or no git repository: a usage error."""


def git(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def default_base() -> str:
    """The merge base of HEAD with `main` (or `origin/main` where only the remote branch exists)."""
    for main in ("main", "origin/main"):
        try:
            git("rev-parse", "--verify", "--quiet", f"{main}^{{commit}}")
        except GitError:
            continue
        return git("merge-base", "HEAD", main)
    raise GitError("no branch main or origin/main to take the merge base with: pass BASE=<git ref>")


@dataclass(frozen=True)
class Revision:
    ref: str
    commit: str
    dirty: bool = False  # the working tree has changes not committed (head only)

    @property
    def short(self) -> str:
        return self.commit[:12] + (" + uncommitted changes" if self.dirty else "")


def resolve(ref: str) -> Revision:
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    return Revision(ref, commit)


def head() -> Revision:
    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return Revision("working tree", commit, dirty)


def changed_package_files(base: Revision) -> list[str]:
    """The package and lock files that differ between the base and the working tree."""
    names = git("diff", "--name-only", base.commit, "--", *PACKAGE_FILES)
    return sorted(n for n in names.splitlines() if n)


def changed_files(base: Revision) -> list[str]:
    return sorted(n for n in git("diff", "--name-only", base.commit).splitlines() if n)


@dataclass
class BasePlans:
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # env -> why the base could not be planned


@contextmanager
def worktree(base: Revision) -> Iterator[Path]:
    """A detached worktree of `base` in a temporary directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="review-base-")) / "repo"
    git("worktree", "add", "--detach", "--quiet", str(path), base.commit)
    try:
        yield path
    finally:
        git("worktree", "remove", "--force", str(path))
        shutil.rmtree(path.parent, ignore_errors=True)


def _link_dependency_cache(root: Path) -> None:
    """Hard-link the working tree's installed Lambda dependencies (keyed by what decides them) into the base."""
    source = REPO / DEPS_CACHE
    if not source.is_dir():
        return
    for entry in source.iterdir():
        target = root / DEPS_CACHE / entry.name
        if (entry / ".complete").is_file() and not target.exists():
            shutil.copytree(entry, target, copy_function=os.link)


def declared_config(root: Path, env: str) -> dict[str, Any]:
    """Every layer's configuration of one environment in another checkout (what compare.declared_config reads)."""
    merged: dict[str, Any] = {}
    for layer in DEPLOY_ORDER:
        path = root / layer / f"Pulumi.{env}.yaml"
        if path.is_file():
            merged |= read_effective_config(path)
    return merged


def start_planning(root: Path, envs: Sequence[str], out: Path) -> subprocess.Popen[str]:
    """Start planning the base in `root` (call `collect` for the result)."""
    _link_dependency_cache(root)
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("*.json"), *out.glob("*.error")]:
        stale.unlink()
    paths = [str(root), str(root / "functions")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONDONTWRITEBYTECODE": "1"}
    with (out / LOG).open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-c", PLAN_BASE, str(out), *envs], cwd=root, env=env, stdout=log, stderr=log, text=True
        )


def collect(process: subprocess.Popen[str], root: Path, envs: Sequence[str], out: Path) -> BasePlans:
    process.wait()
    result = BasePlans()
    if process.returncode != 0:
        reason = ((out / LOG).read_text().strip().splitlines() or [f"exit {process.returncode}"])[-1]
        return BasePlans(errors=dict.fromkeys(envs, f"the base could not be planned: {reason}"))
    for env in envs:
        result.configs[env] = declared_config(root, env)
        plan_file, error_file = out / f"{env}.json", out / f"{env}.error"
        if plan_file.is_file():
            result.plans[env] = json.loads(plan_file.read_text())
        else:
            reason = error_file.read_text() if error_file.is_file() else "no plan written"
            result.errors[env] = f"the base could not be planned: {reason}"
    return result

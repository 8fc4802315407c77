"""Build the Lambda deployment artifact: build/lambda/payments.zip for python3.11 on linux arm64.

    .venv/bin/python functions/package.py        (or: make package)

One zip for the three functions: the `payments` package plus the `lambda` dependency group of
pyproject.toml, at the versions uv.lock pins, from manylinux2014 aarch64 / CPython 3.11 wheels only.
What the Lambda Python runtime already ships (boto3 and its dependencies) is left out. The zip is
deterministic: sorted entries, fixed timestamps and modes, no bin/ or bytecode, so the same inputs
give the same bytes and Pulumi sees no change. Installed dependencies are cached under build/ keyed
by everything that decides them, so a second run does no network work. The first run downloads the
wheels from pip's index (PyPI, or the mirror PIP_INDEX_URL names); without one it stops with one line
saying so.

`payments.zip.inputs.json` beside the zip records the digest of its inputs (`inputs_digest()`);
the application layer calls `fresh_artifact()`, which rebuilds only when that digest no longer
matches, so plan, preview and deploy never ship a zip built from older sources.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "functions" / "payments"
OUTPUT = ROOT / "build" / "lambda" / "payments.zip"
# Beside the zip: the digest of everything that decides its bytes, recorded when it was built.
INPUTS_RECORD = OUTPUT.with_name("payments.zip.inputs.json")
DEPS_CACHE = ROOT / "build" / "lambda" / "deps"
LOCK = ROOT / "uv.lock"

PLATFORM = ("--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.11")
# Shipped by the AWS Lambda python3.11 runtime: boto3 and everything it depends on.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"})
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
APP_SUFFIXES = (".py", ".sql", ".typed")


def lambda_requirements() -> list[str]:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    requirements = groups.get("lambda")
    if not requirements:
        raise SystemExit("pyproject.toml [dependency-groups] lambda is missing or empty")
    return list(requirements)


class ArtifactBuildError(RuntimeError):
    """The zip cannot be built here (no lock file, no package index): one line saying what is needed."""


def locked_versions() -> list[str]:
    """`name==version` for every package uv.lock pins: pip's constraints for the target platform."""
    if not LOCK.is_file():
        raise ArtifactBuildError(f"{LOCK.name} is missing: run `make lock` to create the lock file")
    pins: dict[str, str] = {}
    for locked in tomllib.loads(LOCK.read_text())["package"]:
        if "version" not in locked or locked.get("source", {}).get("editable"):
            continue  # the project itself
        name = _normalize(locked["name"])
        if pins.setdefault(name, locked["version"]) != locked["version"]:
            raise ArtifactBuildError(
                f"{LOCK.name} pins {name} at {pins[name]} and {locked['version']}: the Lambda zip needs one version"
            )
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def _cache_key(requirements: list[str]) -> str:
    decided_by = {
        "requirements": requirements,
        "constraints": locked_versions(),
        "platform": PLATFORM,
        "runtime_provided": sorted(RUNTIME_PROVIDED),
    }
    return hashlib.sha256(json.dumps(decided_by, sort_keys=True).encode()).hexdigest()[:20]


def installed_dependencies(requirements: list[str]) -> Path:
    """The dependency tree for the target platform, installed once per cache key."""
    target = DEPS_CACHE / _cache_key(requirements)
    if (target / ".complete").is_file():
        print(f"dependencies: cached in {target.relative_to(ROOT)}")
        return target
    DEPS_CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=DEPS_CACHE))
    constraints = staging.with_suffix(".constraints.txt")
    constraints.write_text("\n".join(locked_versions()) + "\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-compile",
        "--only-binary=:all:",
        *PLATFORM,
        "--target",
        str(staging),
        "-c",
        str(constraints),
        *requirements,
    ]
    print(f"dependencies: installing {', '.join(requirements)} for linux arm64 / CPython 3.11")
    try:
        installed = subprocess.run(command, capture_output=True, text=True, check=False)
        if installed.returncode != 0:
            raise ArtifactBuildError(_install_failure(installed.stdout + installed.stderr))
        (staging / ".complete").write_text("\n".join(requirements) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        constraints.unlink(missing_ok=True)
    return target


def _install_failure(output: str) -> str:
    """pip's failure as one line: what could not be had, from where, and what to do about it."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    index = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Looking in indexes:")), "PyPI")
    missing = re.search(
        r"(?:satisfies the requirement|no matching distributions available for your environment:)\s+(\S+)", output
    )
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    reason = f"no wheel of {missing[1]} found" if missing else (errors or lines[-1:] or ["pip printed nothing"])[0]
    return (
        f"cannot build the Lambda artifact {OUTPUT.name}: pip could not install its dependencies (linux arm64 "
        f"wheels) from {index} ({reason}); it needs PyPI once, or a mirror in PIP_INDEX_URL"
    )


def _normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_provided_files(deps: Path) -> set[str]:
    """Every file (relative path) that belongs to a distribution the Lambda runtime already has."""
    excluded: set[str] = set()
    for dist_info in deps.glob("*.dist-info"):
        metadata = email.parser.HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
        if _normalize(metadata["Name"]) in RUNTIME_PROVIDED:
            excluded.add(dist_info.name)
            for line in (dist_info / "RECORD").read_text().splitlines():
                excluded.add(line.split(",", 1)[0])
    return excluded


def _excluded(relative: Path) -> bool:
    return relative.parts[0] == "bin" or "__pycache__" in relative.parts or relative.suffix in (".pyc", ".pyo")


def zip_entries(deps: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, source file) for every file of the zip, in sorted order."""
    runtime_files = _runtime_provided_files(deps)
    entries: dict[str, Path] = {}
    for path in deps.rglob("*"):
        relative = path.relative_to(deps)
        if not path.is_file() or relative.name == ".complete" or _excluded(relative):
            continue
        if relative.as_posix() in runtime_files or relative.parts[0] in runtime_files:
            continue
        entries[relative.as_posix()] = path
    for path in _app_files():
        entries[path.relative_to(PACKAGE_DIR.parent).as_posix()] = path
    for name in sorted(entries):
        yield name, entries[name]


def write_zip(destination: Path, entries: Iterator[tuple[str, Path]]) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, source in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
            info.external_attr = (0o100000 | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode bits are honoured
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    partial.replace(destination)


def _app_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE_DIR.rglob("*")
        if path.is_file() and path.suffix in APP_SUFFIXES and not _excluded(path.relative_to(PACKAGE_DIR.parent))
    )


def inputs_digest() -> str:
    """sha256 of everything that decides the zip's bytes: the `payments` sources, the dependency
    list, the lock file, the target platform and this builder. Cheap (no network, no zip)."""
    digest = hashlib.sha256()
    digest.update(_cache_key(lambda_requirements()).encode())
    digest.update(Path(__file__).read_bytes())
    for path in _app_files():
        digest.update(path.relative_to(PACKAGE_DIR.parent).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def recorded_digest() -> str | None:
    """The inputs digest recorded when the current zip was built; None without a zip or record."""
    if not (OUTPUT.is_file() and INPUTS_RECORD.is_file()):
        return None
    try:
        return str(json.loads(INPUTS_RECORD.read_text())["inputsSha256"])
    except (ValueError, KeyError):
        return None


def build() -> Path:
    inputs = inputs_digest()
    deps = installed_dependencies(lambda_requirements())
    INPUTS_RECORD.unlink(missing_ok=True)  # a crash mid-build must not leave a stale zip marked fresh
    write_zip(OUTPUT, zip_entries(deps))
    INPUTS_RECORD.write_text(json.dumps({"inputsSha256": inputs}, indent=2) + "\n")
    return OUTPUT


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One builder at a time per checkout (parallel test workers, two `make plan`s): the others wait,
    then find the zip fresh."""
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.with_name(f"{OUTPUT.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fresh_artifact() -> Path:
    """The zip, rebuilt first when it is missing or was built from other inputs than today's."""
    with _build_lock():
        if recorded_digest() != inputs_digest():
            print(f"artifact: {OUTPUT.name} is missing or was built from other sources; building it")
            return build()
    return OUTPUT


def main() -> int:
    try:
        artifact = build()
    except ArtifactBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    data = artifact.read_bytes()
    digest = hashlib.sha256(data)
    print(f"artifact: {artifact.relative_to(ROOT)}")
    print(f"size: {len(data)} bytes ({len(data) / 1_000_000:.2f} MB)")
    print(f"sha256: {digest.hexdigest()}")
    print(f"sha256 (base64, Lambda CodeSha256): {base64.b64encode(digest.digest()).decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The house's import rules (the import-linter contracts in pyproject.toml, run by `make lint`).

Each contract is broken on purpose in a scratch copy of the repository's packages, and `lint-imports`
must name it; the real tree keeps every one.
"""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = REPO / ".venv" / "bin" / "lint-imports"
PACKAGES = ("shared", "accounts", "networking", "data", "application", "observability", "policy", "tooling")
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}

# contract id -> (file of the copy, the one import added to it that breaks that contract and no other)
BREAKS = {
    "layers-independent": ("networking/_probe.py", "import data.settings"),
    "shared-below-layers": ("shared/_probe.py", "import tooling.plan"),
    "payments-standalone": ("functions/payments/_probe.py", "import pulumi"),
    "policy-below-tooling": ("policy/_probe.py", "import tooling.checks.report"),
    # bench and stacks are independent siblings; an upward import (plan -> checks) would be a cycle as well
    "tooling-layers": ("tooling/bench/_probe.py", "import tooling.stacks.types"),
    "stacks-layers": ("tooling/stacks/events.py", "import tooling.stacks.record"),  # a runner importing a step
    "tooling-acyclic": ("tooling/stacks/record.py", "import tooling.stacks.gate"),  # gate imports record
}


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'functions'}", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _scratch_copy(root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "build")
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(REPO / package, root / package, ignore=ignore)
    shutil.copytree(REPO / "functions" / "payments", root / "functions" / "payments", ignore=ignore)


def test_every_contract_of_the_brief_is_declared() -> None:
    assert set(CONTRACTS) == set(BREAKS)


def test_the_repository_keeps_every_contract() -> None:
    done = _lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken" in done.stdout


@pytest.mark.parametrize("contract", sorted(BREAKS))
def test_a_broken_contract_is_named(tmp_path: Path, contract: str) -> None:
    _scratch_copy(tmp_path)
    relative, line = BREAKS[contract]
    path = tmp_path / relative
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")

    done = _lint_imports(tmp_path)

    assert done.returncode != 0, done.stdout
    broken = re.findall(r"^(.*\S)\s+BROKEN$", done.stdout, re.MULTILINE)
    assert [" ".join(name.split()) for name in broken] == [" ".join(CONTRACTS[contract].split())], done.stdout

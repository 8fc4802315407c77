"""functions/package.py: what goes into the zip, and that the same inputs give the same bytes."""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import package  # functions/package.py


def _dist(deps: Path, name: str, version: str, files: list[str]) -> None:
    info = deps / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in [*files, f"{info.name}/METADATA"]))
    for relative in files:
        path = deps / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {relative}\n")


@pytest.fixture
def deps(tmp_path: Path) -> Path:
    root = tmp_path / "deps"
    _dist(root, "pg8000", "1.31.6", ["pg8000/__init__.py", "pg8000/native.py"])
    _dist(root, "botocore", "1.43.127", ["botocore/__init__.py", "botocore/data/endpoints.json"])
    _dist(root, "python-dateutil", "2.9.0", ["dateutil/__init__.py"])
    (root / "bin").mkdir()
    (root / "bin" / "jp.py").write_text("#!/usr/bin/env python\n")
    (root / "pg8000" / "__pycache__").mkdir()
    (root / "pg8000" / "__pycache__" / "native.cpython-311.pyc").write_bytes(b"\x00")
    (root / ".complete").write_text("done\n")
    return root


def test_zip_holds_the_code_and_dependencies_but_not_what_the_runtime_ships(deps: Path) -> None:
    names = [name for name, _ in package.zip_entries(deps)]

    assert names == sorted(names)
    assert "payments/handlers/process_payment.py" in names
    assert "payments/migrations/0001_settlement_ledger.sql" in names
    assert {"pg8000/__init__.py", "pg8000/native.py", "pg8000-1.31.6.dist-info/METADATA"} <= set(names)
    assert not [name for name in names if name.startswith(("botocore", "dateutil", "python_dateutil", "bin/"))]
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name or name == ".complete"]


def test_same_inputs_give_the_same_bytes(deps: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    package.write_zip(first, package.zip_entries(deps))
    for path in deps.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # different mtimes must not matter
    package.write_zip(second, package.zip_entries(deps))

    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    with zipfile.ZipFile(first) as archive:
        for info in archive.infolist():
            assert info.date_time == package.FIXED_TIMESTAMP
            assert info.external_attr >> 16 == 0o100644


def test_dependency_list_comes_from_pyproject() -> None:
    requirements = package.lambda_requirements()

    assert any(requirement.startswith("pg8000==") for requirement in requirements)
    assert any(requirement.startswith("aws-lambda-powertools") for requirement in requirements)
    # No extra that brings the X-Ray SDK (the Powertools Tracer's; end of support 2027-02-25).
    assert not [requirement for requirement in requirements if "[tracer" in requirement or "xray" in requirement]

"""The Lambda artifact is rebuilt whenever it is missing or its inputs changed, and only then."""

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from application import artifact


@pytest.fixture
def builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The real builder module, writing to a scratch build directory, with `build` recorded."""
    module = artifact._builder()
    output = tmp_path / "payments.zip"
    monkeypatch.setattr(module, "OUTPUT", output)
    monkeypatch.setattr(module, "INPUTS_RECORD", tmp_path / "payments.zip.inputs.json")
    built: list[Path] = []

    def fake_build() -> Path:
        built.append(output)
        output.write_bytes(b"zip bytes")
        module.INPUTS_RECORD.write_text(json.dumps({"inputsSha256": module.inputs_digest()}))
        return output

    monkeypatch.setattr(module, "build", fake_build)
    module.built = built  # type: ignore[attr-defined]
    return module


def test_a_missing_zip_is_built(builder):
    assert builder.fresh_artifact() == builder.OUTPUT
    assert len(builder.built) == 1


def test_a_fresh_zip_is_used_as_is(builder):
    builder.fresh_artifact()
    builder.fresh_artifact()
    assert len(builder.built) == 1


def test_a_zip_built_from_other_inputs_is_rebuilt(builder):
    builder.fresh_artifact()
    builder.INPUTS_RECORD.write_text(json.dumps({"inputsSha256": "0" * 64}))
    builder.fresh_artifact()
    assert len(builder.built) == 2


def test_a_zip_without_its_record_is_rebuilt(builder):
    builder.fresh_artifact()
    builder.INPUTS_RECORD.unlink()
    builder.fresh_artifact()
    assert len(builder.built) == 2


def test_the_inputs_digest_follows_every_source_file(builder, tmp_path, monkeypatch):
    package = tmp_path / "functions" / "payments"
    shutil.copytree(builder.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(builder, "PACKAGE_DIR", package)
    before = builder.inputs_digest()
    (package / "migrations" / "0099_new.sql").write_text("SELECT 1;\n")
    assert builder.inputs_digest() != before
    (package / "migrations" / "0099_new.sql").unlink()
    assert builder.inputs_digest() == before
    (package / "settings.py").write_text((package / "settings.py").read_text() + "\n# changed\n")
    assert builder.inputs_digest() != before


def test_lambda_artifact_reports_the_zip_digests(builder):
    built = artifact.lambda_artifact()
    digest = hashlib.sha256(b"zip bytes")
    assert built.path == builder.OUTPUT
    assert built.sha256_hex == digest.hexdigest()
    assert built.sha256_base64 == base64.b64encode(digest.digest()).decode()  # Lambda's CodeSha256 form

"""The one Lambda artifact every function runs: `build/lambda/payments.zip` from `functions/package.py`.

The zip is rebuilt before anything is declared whenever it is missing or was built from other
inputs (the `payments` sources, the dependency list, uv.lock, the builder): plan, preview
and deploy never ship an old zip, and a fresh one costs only a digest of the sources. The zip is
deterministic, so its sha256 changes exactly when its inputs do; that sha256 is every function's
`source_code_hash` (base64, what Lambda reports as `CodeSha256`, so it never diffs on its own), the
trigger of the deploy-time migration and the `artifactSha256` export promotion compares.
"""

import base64
import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import pulumi

from shared.stack_files import REPO

BUILDER = REPO / "functions" / "package.py"


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256_hex: str
    sha256_base64: str

    @property
    def archive(self) -> pulumi.FileArchive:
        return pulumi.FileArchive(str(self.path))


@cache
def _builder() -> ModuleType:
    """functions/package.py is a script, not part of an installed package: load it by path."""
    spec = importlib.util.spec_from_file_location("payments_artifact_builder", BUILDER)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{BUILDER} is missing: it builds the Lambda artifact")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lambda_artifact() -> Artifact:
    """The fresh artifact (built first when missing or stale) and its digests.

    A zip that cannot be built (no package index for its dependencies) stops the run with the
    builder's one-line reason, before any function is declared.
    """
    builder = _builder()
    try:
        path: Path = builder.fresh_artifact()
    except builder.ArtifactBuildError as exc:
        raise pulumi.RunError(str(exc)) from None
    digest = hashlib.sha256(path.read_bytes())
    return Artifact(path, digest.hexdigest(), base64.b64encode(digest.digest()).decode())

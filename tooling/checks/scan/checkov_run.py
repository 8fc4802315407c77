"""checkov (pinned, in its own virtualenv `.venv-checkov`) over Terraform-plan JSON files, offline.

checkov pins boto3 to a version the project's tests cannot share, so it runs as a subprocess of its
own interpreter: `checkov_driver.py` runs `checkov -f <plan> --framework terraform_plan -o json
--skip-download` (no download of external checks or guidelines, no API key: nothing leaves the
machine) and adds the checks checkov could not decide, which its report leaves out. One process per
plan, all started at once: checkov builds one graph per run, and plans of several environments in one
run share addresses, which would connect one environment's resources to another's. Results are cached
next to each plan under the hash of its content, the driver's and checkov's version: a plan
scanned before (this commit's, or a review's base) is not scanned again.
"""

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.checks.scan.findings import Finding
from tooling.checks.scan.tftypes import CHECKOV_VENV

CHECKOV_VERSION = "3.3.30"  # as pinned in constraints-checkov.txt and pyproject's `scanner` extra
DRIVER = Path(__file__).with_name("checkov_driver.py")
# Meta-arguments checkov's checks probe on every resource; never attributes of the resource itself.
CHECKOV_META_ATTRIBUTES = frozenset({"count", "dynamic", "for_each"})


class CheckovError(RuntimeError):
    pass


def checkov_python(venv: Path = CHECKOV_VENV) -> Path:
    binary = venv / "bin" / "checkov"
    if not binary.exists():
        raise CheckovError(f"{binary} is missing: `make setup` installs checkov {CHECKOV_VERSION} into {venv}")
    return venv / "bin" / "python"


def _offline_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    env |= {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
    return env


def _key(plan_text: str) -> str:
    return hashlib.sha256(f"{CHECKOV_VERSION}\n{DRIVER.read_text()}\n{plan_text}".encode()).hexdigest()


def scan_files(plans: Mapping[str, Path]) -> dict[str, dict[str, Any]]:
    """{environment: checkov's JSON report, with `unknown`: the checks it could not decide} for each
    Terraform-plan file, scanned in parallel (or cached)."""
    reports: dict[str, dict[str, Any]] = {}
    running: dict[str, tuple[subprocess.Popen[str], Path, str]] = {}
    for env, path in plans.items():
        key = _key(path.read_text())
        cache = path.with_name(f"{path.name.removesuffix('.tfplan.json')}.{key[:16]}.checkov.json")
        if cache.exists():
            cached = json.loads(cache.read_text())
            if cached.get("key") == key:
                reports[env] = cached["report"]
                continue
        command = [str(checkov_python()), str(DRIVER), path.name]
        process = subprocess.Popen(
            command,
            cwd=path.parent,
            env=_offline_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running[env] = (process, cache, key)
    for env, (process, cache, key) in running.items():
        stdout, stderr = process.communicate()
        if process.returncode not in (0, 1):  # 1: some check failed
            raise CheckovError(f"checkov failed on {env} (exit {process.returncode}): {stderr.strip()[-2000:]}")
        output = json.loads(stdout)
        report = _only_report(output["report"], env) | {"unknown": output["unknown"]}
        cache.write_text(json.dumps({"key": key, "report": report}))
        reports[env] = report
    return reports


def _only_report(output: Any, env: str) -> dict[str, Any]:
    reports = output if isinstance(output, list) else [output]
    found = [r for r in reports if r.get("check_type") == "terraform_plan"]
    if len(found) != 1:
        raise CheckovError(f"checkov gave no terraform_plan report for {env}: {str(output)[:500]}")
    report: dict[str, Any] = found[0]
    if report["summary"].get("parsing_errors"):
        raise CheckovError(f"checkov could not parse the {env} plan: {report['summary']}")
    return report


def failed(report: Mapping[str, Any], env: str) -> list[Finding]:
    return [
        Finding(
            scanner="checkov",
            check=f["check_id"],
            title=f["check_name"],
            environment=env,
            resource=f["resource"],
            detail=str(f.get("guideline") or ""),
            severity=str(f.get("severity") or ""),
        )
        for f in report["results"].get("failed_checks", [])
    ]


def counts(report: Mapping[str, Any]) -> tuple[int, int]:
    """(passed, failed) checks."""
    return int(report["summary"]["passed"]), int(report["summary"]["failed"])


@dataclass(frozen=True)
class Undecided:
    """A check checkov ran on a resource and could not decide (it leaves those out of its report)."""

    check: str
    resource: str
    missing: tuple[str, ...]  # the attributes it looked for and did not find; empty: another reason


def undecided(report: Mapping[str, Any]) -> list[Undecided]:
    return [
        Undecided(u["check_id"], u["resource"], tuple(sorted(set(u["missing"]) - CHECKOV_META_ATTRIBUTES)))
        for u in report.get("unknown", [])
    ]


def evaluated(report: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(check, resource) of every check checkov decided, passed or failed."""
    results = report["results"]
    return {
        (r["check_id"], r["resource"]) for kind in ("passed_checks", "failed_checks") for r in results.get(kind, [])
    }


def scanned_resources(report: Mapping[str, Any]) -> Sequence[str]:
    return sorted({resource for _, resource in evaluated(report)})

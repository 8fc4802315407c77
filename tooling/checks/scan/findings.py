"""Findings of the scanners, the one waiver file (policy/waivers.yaml), and which findings it waives.

A waiver names the scanner (`checkov` or `parliament`), the check or issue id, the resources it covers
(Terraform addresses, shell-style patterns: `aws_s3_bucket.alb_logs_bucket`, `aws_iam_role.*.assume_role_policy`),
optionally the environments (all when absent) and a text the finding's detail must contain, the reason,
and, where one exists, the requirement that forces it. A waiver that waives nothing in any environment is
stale and fails the full scan, so the file cannot silently outlive the code it excuses.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from shared.environments import ENVIRONMENTS

WAIVER_FILE = Path(__file__).resolve().parents[3] / "policy" / "waivers.yaml"
SCANNERS = ("checkov", "parliament")


@dataclass(frozen=True)
class Finding:
    scanner: str  # checkov | parliament
    check: str  # CKV_AWS_150 | RESOURCE_STAR
    title: str
    environment: str
    resource: str  # Terraform address (checkov); address.attribute of the policy document (parliament)
    detail: str = ""
    severity: str = ""


@dataclass(frozen=True)
class Waiver:
    scanner: str
    check: str
    resources: tuple[str, ...]
    reason: str
    requirement: str = ""
    environments: tuple[str, ...] = tuple(ENVIRONMENTS)
    detail_contains: str = ""

    def waives(self, finding: Finding) -> bool:
        return (
            finding.scanner == self.scanner
            and finding.check == self.check
            and finding.environment in self.environments
            and any(fnmatchcase(finding.resource, pattern) for pattern in self.resources)
            and self.detail_contains in finding.detail
        )

    def describe(self) -> str:
        return f"{self.scanner} {self.check} on {', '.join(self.resources)} ({', '.join(self.environments)})"


class WaiverFileError(ValueError):
    pass


def _waiver(scanner: str, entry: dict[str, Any]) -> Waiver:
    allowed = {"id", "resources", "reason", "requirement", "environments", "detail_contains"}
    unknown = set(entry) - allowed
    if unknown or not entry.get("id") or not entry.get("resources") or not str(entry.get("reason", "")).strip():
        raise WaiverFileError(f"{scanner} waiver {entry}: needs id, resources and reason (unknown keys: {unknown})")
    environments = tuple(entry.get("environments") or ENVIRONMENTS)
    if set(environments) - set(ENVIRONMENTS):
        raise WaiverFileError(f"{scanner} waiver {entry['id']}: unknown environment in {environments}")
    return Waiver(
        scanner=scanner,
        check=str(entry["id"]),
        resources=tuple(entry["resources"]),
        reason=" ".join(str(entry["reason"]).split()),
        requirement=" ".join(str(entry.get("requirement", "")).split()),
        environments=environments,
        detail_contains=str(entry.get("detail_contains", "")),
    )


def load_waivers(path: Path = WAIVER_FILE) -> list[Waiver]:
    data = yaml.safe_load(path.read_text()) or {}
    if set(data) - set(SCANNERS):
        raise WaiverFileError(f"{path}: top-level keys must be {', '.join(SCANNERS)}")
    return [_waiver(scanner, entry) for scanner in SCANNERS for entry in data.get(scanner) or []]


@dataclass
class Verdict:
    open: list[Finding] = field(default_factory=list)
    waived: list[tuple[Finding, Waiver]] = field(default_factory=list)


def judge(findings: Iterable[Finding], waivers: Sequence[Waiver]) -> Verdict:
    verdict = Verdict()
    for finding in findings:
        waiver = next((w for w in waivers if w.waives(finding)), None)
        if waiver is None:
            verdict.open.append(finding)
        else:
            verdict.waived.append((finding, waiver))
    return verdict


def stale(waivers: Sequence[Waiver], verdicts: Iterable[Verdict]) -> list[Waiver]:
    """Waivers that waived nothing in the given verdicts (one per environment scanned)."""
    used = {w for verdict in verdicts for _, w in verdict.waived}
    return [w for w in waivers if w not in used]

"""The review's report: what a branch does to each environment, versioned like the drift report.

`build/review/review.json` is a `Review` (`schema_version`, `kind: "review"`), documented in
docs/review.md; `review.md` and the terminal table are rendered from it and nothing else.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from tooling.checks.broadening import BroadeningReport
from tooling.checks.report import CLEAN, FOUND, UNEXPECTED, Item
from tooling.review.diff import PlanDiff

SCHEMA_VERSION = 1
NO_CHANGE = "no infrastructure change"


class Side(BaseModel):
    ref: str = Field(description="what was asked for: a git ref, or `working tree`")
    commit: str
    dirty: bool = Field(default=False, description="the working tree has uncommitted changes (head only)")


class ConfigChange(BaseModel):
    key: str
    before: Any = Field(description="the base's stack-file value; `[secret]` for an encrypted one; null: absent")
    after: Any


class FindingDelta(BaseModel):
    """Findings of one check at the base and the head, judged by the head's rules on both plans."""

    before: int
    after: int
    new: list[str] = Field(default_factory=list)
    resolved: list[str] = Field(default_factory=list)


class CostLine(BaseModel):
    item: str
    before: float
    after: float
    difference: float


class CostDelta(BaseModel):
    before: float = Field(description="fixed monthly cost at the base, USD")
    after: float
    difference: float
    lines: list[CostLine] = Field(default_factory=list, description="the items whose cost changes")


class Artifact(BaseModel):
    before: str = Field(description="sha256 of the Lambda zip at the base")
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


class EnvironmentReview(BaseModel):
    environment: str
    error: str | None = Field(default=None, description="why this environment could not be reviewed")
    config: list[ConfigChange] = Field(default_factory=list)
    diff: PlanDiff | None = None
    broadening: BroadeningReport | None = None
    cost: CostDelta | None = None
    findings: dict[Literal["scan", "policy", "types"], FindingDelta] = Field(default_factory=dict)
    artifact: Artifact | None = None
    attention: list[str] = Field(default_factory=list, description="why this environment needs a human (exit 7)")
    failures: list[str] = Field(default_factory=list, description="what could not be judged (exit 1)")

    @property
    def changed(self) -> bool:
        return bool(self.config or (self.diff and (self.diff.resources or self.diff.renames)))

    def summary(self) -> str:
        if self.error:
            return "not reviewed"
        if not self.diff or not self.diff.resources:
            return "no change" if not self.config else "stack config only"
        counts = [(self.diff.count("create"), "created"), (self.diff.count("update"), "updated")]
        counts += [(self.diff.count("delete"), "deleted"), (len(self.diff.replaced), "replaced")]
        return ", ".join(f"{n} {word}" for n, word in counts if n)


class ParityDelta(BaseModel):
    left: str
    right: str
    undeclared_before: int
    undeclared_after: int
    new: list[Item] = Field(default_factory=list, description="undeclared differences the head adds (a failure)")
    resolved: list[Item] = Field(default_factory=list)


class Review(BaseModel):
    schema_version: int = SCHEMA_VERSION
    kind: Literal["review"] = "review"
    base: Side
    head: Side
    exit_code: int
    headline: str = Field(description="the first line of review.md: what to do")
    failures: list[str] = Field(default_factory=list, description="why the review fails (exit 1)")
    attention: list[str] = Field(default_factory=list, description="what needs a human (exit 7)")
    package_files_changed: list[str] = Field(
        default_factory=list,
        description="pyproject/lock files that differ: the base was planned with the head's packages",
    )
    replacement_source: str = Field(description="where replacements are read from, or why they cannot be known")
    cost_threshold: float = Field(description="USD per month per environment above which a cost increase needs a human")
    parity: list[ParityDelta] = Field(default_factory=list)
    environments: list[EnvironmentReview] = Field(default_factory=list)

    @property
    def infrastructure_changed(self) -> bool:
        return any(e.changed or e.error for e in self.environments)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def verdict(failures: list[str], attention: list[str]) -> int:
    return UNEXPECTED if failures else FOUND if attention else CLEAN


def headline(review_failures: list[str], attention: list[str], environments: list[EnvironmentReview]) -> str:
    def listed(reasons: list[str]) -> str:
        shown = "; ".join(reasons[:3])
        return shown + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")

    if review_failures:
        return f"FAILS (exit {UNEXPECTED}): {listed(review_failures)}"
    if attention:
        return f"Needs a human (exit {FOUND}): {listed(attention)}"
    if not any(e.changed for e in environments):
        return f"OK (exit {CLEAN}): {NO_CHANGE} in {', '.join(e.environment for e in environments)}"
    changed = [f"{e.environment}: {e.summary()}" for e in environments if e.changed]
    return f"OK (exit {CLEAN}): nothing needs a human; {'; '.join(changed)}"

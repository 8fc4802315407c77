"""Build the review: plan the base (in its worktree) and the working tree, then compare them environment by
environment.

Both sides' plans are judged by the working tree's rules (policy pack, waivers, SDK types, prices), so
a finding that is new or resolved is what the infrastructure change does; a change to the rules alone
shows in `make check`. Parity is each side's own stack files against the working tree's
declared variations.
"""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from shared.environments import ENVIRONMENTS
from tooling.checks.broadening import Snapshot, compare_snapshots
from tooling.checks.compare import declared_config
from tooling.checks.cost.estimate import total
from tooling.checks.record import planned
from tooling.checks.redact import Redactor, is_secret
from tooling.checks.report import Item
from tooling.checks.suite import Evaluation, evaluate
from tooling.plan.mock_runtime import SECRET_PLACEHOLDER
from tooling.review import base as base_checkout
from tooling.review.diff import PlanDiff, diff_plans
from tooling.review.replacement import ReplacementRules, load_rules, package_of, read_schemas
from tooling.review.report import (
    Artifact,
    ConfigChange,
    CostDelta,
    CostLine,
    EnvironmentReview,
    FindingDelta,
    ParityDelta,
    Review,
    Side,
    headline,
    verdict,
)

DEFAULT_COST_THRESHOLD = 100.0


def _secure_values(configs: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(v["secure"]) for config in configs for v in config.values() if isinstance(v, dict) and "secure" in v}


def _shown(value: Any) -> Any:
    return SECRET_PLACEHOLDER if (isinstance(value, dict) and "secure" in value) or is_secret(value) else value


def config_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[ConfigChange]:
    """Every stack-config key whose value differs; an encrypted value shows as `[secret]` on both sides."""
    return [
        ConfigChange(key=key, before=_shown(before.get(key)), after=_shown(after.get(key)))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def _identities(findings: Iterable[str]) -> list[str]:
    return sorted(set(findings))


def finding_delta(before: Iterable[str], after: Iterable[str]) -> FindingDelta:
    old, new = _identities(before), _identities(after)
    return FindingDelta(
        before=len(old),
        after=len(new),
        new=[f for f in new if f not in old],
        resolved=[f for f in old if f not in new],
    )


def findings(result: Evaluation, env: str) -> dict[str, list[str]]:
    """What each check found in one environment, each finding in words that do not depend on the side."""
    scan = result.scans[env].verdict.open
    return {
        "scan": [f"{f.scanner} {f.check} on {f.resource}: {f.title}{f' ({f.detail})' * bool(f.detail)}" for f in scan],
        "policy": [f"{v.policy} on {v.urn.split('::', 1)[-1]}: {v.message}" for v in result.violations[env]],
        "types": [str(f).split(" / ", 1)[1] for f in result.blocking_types(env)],
    }


def cost_delta(base: Evaluation, head: Evaluation, env: str) -> CostDelta | str:
    """The fixed monthly cost at base and head, or what could not be priced."""
    for result in (base, head):
        if env in result.cost_errors:
            return f"{env}: the cost cannot be computed: {result.cost_errors[env]}"
    before = {i.item: i.monthly for i in base.cost[env]}
    after = {i.item: i.monthly for i in head.cost[env]}
    differences = {item: round(after.get(item, 0.0) - before.get(item, 0.0), 2) for item in [*before, *after]}
    lines = [
        CostLine(item=item, before=before.get(item, 0.0), after=after.get(item, 0.0), difference=difference)
        for item, difference in differences.items()
        if difference
    ]
    old, new = total(base.cost[env]), total(head.cost[env])
    return CostDelta(before=old, after=new, difference=round(new - old, 2), lines=lines)


def artifact_sha256(plan: Mapping[str, Any]) -> str:
    outputs = {layer["name"]: layer["outputs"] for layer in plan["layers"]}
    return str(outputs.get("application", {}).get("artifactSha256") or "")


def _attention(env: str, review: EnvironmentReview, threshold: float) -> list[str]:
    reasons: list[str] = []
    if review.broadening and review.broadening.items:
        first = review.broadening.items[0]
        more = f" and {len(review.broadening.items) - 1} more" if len(review.broadening.items) > 1 else ""
        reasons.append(f"{env}: permissions broaden: {first.owner.rsplit('::', 1)[-1]}: {first.grant}{more}")
    diff = review.diff or PlanDiff(resources=[], renames=[])
    for change in diff.resources:
        if not change.protected:
            continue
        if change.action == "delete":
            reasons.append(f"{env}: protected {change.name} would be deleted")
        elif change.replacement == "yes":
            reasons.append(f"{env}: protected {change.name} would be replaced")
        elif change.replacement == "unknown":
            reasons.append(f"{env}: protected {change.name} changes; whether it is replaced cannot be known offline")
    for rename in diff.renames:
        if rename.protected:
            reasons.append(f"{env}: protected {rename.before.rsplit('::', 1)[-1]} renamed without an alias (replaced)")
    for check, delta in review.findings.items():
        if delta.new:
            reasons.append(f"{env}: {len(delta.new)} new {check} finding(s): {delta.new[0]}")
    if review.cost and review.cost.difference > threshold:
        reasons.append(f"{env}: costs {review.cost.difference:+,.2f} USD/month (threshold {threshold:,.2f})")
    return reasons


def review_environment(
    env: str,
    base: tuple[Mapping[str, Any], Mapping[str, Any], Evaluation],
    head: tuple[Mapping[str, Any], Mapping[str, Any], Evaluation],
    rules: ReplacementRules,
    threshold: float,
) -> EnvironmentReview:
    (base_plan, base_config, base_result), (head_plan, head_config, head_result) = base, head
    before = Snapshot(env, f"{env}:base", base_plan["layers"], base_config)
    after = Snapshot(env, f"{env}:head", head_plan["layers"], head_config)
    old_findings, new_findings = findings(base_result, env), findings(head_result, env)
    cost = cost_delta(base_result, head_result, env)
    review = EnvironmentReview(
        environment=env,
        config=config_changes(base_config, head_config),
        diff=diff_plans(base_plan, head_plan, rules),
        broadening=compare_snapshots(before, after),
        cost=cost if isinstance(cost, CostDelta) else None,
        findings={check: finding_delta(old_findings[check], new_findings[check]) for check in old_findings},  # type: ignore[misc]
        artifact=Artifact(before=artifact_sha256(base_plan), after=artifact_sha256(head_plan)),
    )
    review.attention = _attention(env, review, threshold)
    review.failures = [cost] if isinstance(cost, str) else []
    return review


def _item_key(item: Item) -> tuple[str, str | None]:
    return item.resource, item.path


def parity_deltas(base_result: Evaluation, head_result: Evaluation) -> list[ParityDelta]:
    before = {tuple(r.environments): r for r in base_result.parity}
    deltas = []
    for report in head_result.parity:
        left, right = report.environments
        old = [i for i in before[(left, right)].items if not i.declared] if (left, right) in before else []
        new = [i for i in report.items if not i.declared]
        old_keys, new_keys = {_item_key(i) for i in old}, {_item_key(i) for i in new}
        deltas.append(
            ParityDelta(
                left=left,
                right=right,
                undeclared_before=len(old),
                undeclared_after=len(new),
                new=[i for i in new if _item_key(i) not in old_keys],
                resolved=[i for i in old if _item_key(i) not in new_keys],
            )
        )
    return deltas


def _packages(plans: Iterable[Mapping[str, Any]]) -> set[str]:
    return {
        package_of(r["type"])
        for plan in plans
        for layer in plan["layers"]
        for r in layer["resources"]
        if r["custom"] and not r["type"].startswith("pulumi:pulumi:")
    }


def _redacted(review: Review, secrets: set[str]) -> Review:
    """Every value of the report through the redactor, as the drift report's are."""
    redactor = Redactor(secrets)
    return Review.model_validate(redactor.value(review.model_dump(mode="json")))


def build_review(
    base_ref: str | None,
    out_dir: Path,
    *,
    threshold: float = DEFAULT_COST_THRESHOLD,
    schema_files: Sequence[Path] = (),
    envs: Sequence[str] = ENVIRONMENTS,
) -> Review:
    """Raises base_checkout.GitError or replacement.SchemaError on a usage problem."""
    schemas = read_schemas(schema_files)
    base_side = base_checkout.resolve(base_ref or base_checkout.default_base())
    head_side = base_checkout.head()
    packages_changed = base_checkout.changed_package_files(base_side)
    failures: list[str] = []
    if packages_changed:
        print(f"note: {', '.join(packages_changed)} differ from the base: the base is planned with the head's packages")
    with base_checkout.worktree(base_side) as root:
        base_dir = out_dir / "base"
        process = base_checkout.start_planning(root, envs, base_dir)
        head_plans: dict[str, dict[str, Any]] = {}
        for env in envs:
            try:
                head_plans[env] = planned(env)
            except (pulumi.RunError, FileNotFoundError, KeyError, ValueError) as exc:
                failures.append(f"{env}: the working tree could not be planned: {str(exc).splitlines()[0]}")
        based = base_checkout.collect(process, root, envs, base_dir)
    failures += [f"{env}: {why}" for env, why in based.errors.items()]
    head_configs = {env: declared_config(env) for env in envs}
    reviewed = [e for e in envs if e in head_plans and e in based.plans]
    # The same plan under the same rules finds the same: only the environments that changed are checked again.
    changed = [e for e in reviewed if based.plans[e] != head_plans[e] or based.configs[e] != head_configs[e]]
    base_result = evaluate({e: based.plans[e] for e in reviewed}, changed, configs=based.configs)
    head_result = evaluate({e: head_plans[e] for e in reviewed}, configs=head_configs)
    rules = load_rules(
        _packages([*head_plans.values(), *based.plans.values()]), schemas, cache_dir=out_dir.parent / "schemas"
    )
    environments = []
    for env in envs:
        if env not in reviewed:
            environments.append(EnvironmentReview(environment=env, error="not planned on both sides"))
            continue
        environments.append(
            review_environment(
                env,
                (based.plans[env], based.configs[env], base_result if env in changed else head_result),
                (head_plans[env], head_configs[env], head_result),
                rules,
                threshold,
            )
        )
    parity = parity_deltas(base_result, head_result)
    for delta in parity:
        for item in delta.new:
            where = f"{item.name} {item.path or '(resource)'}"
            failures.append(f"{delta.left}/{delta.right}: new undeclared difference: {where}")
    failures += [failure for e in environments for failure in e.failures]
    attention = [reason for e in environments for reason in e.attention]
    code = verdict(failures, attention)
    review = Review(
        base=Side(ref=base_side.ref, commit=base_side.commit),
        head=Side(ref=head_side.ref, commit=head_side.commit, dirty=head_side.dirty),
        exit_code=code,
        headline=headline(failures, attention, environments),
        failures=failures,
        attention=attention,
        package_files_changed=packages_changed,
        replacement_source=rules.describe(),
        cost_threshold=threshold,
        parity=parity,
        environments=environments,
    )
    return _redacted(review, _secure_values([*based.configs.values(), *head_configs.values()]))

"""Every policy reports a hand-made violation with its message and passes a compliant resource,
so none can pass the plans vacuously."""

import pytest
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, unknown_checking_proxy

from policy import ALL_POLICIES
from policy.teardown import PlannedResourceOptions
from tests.policy.cases import CASES, KEY, Case
from tooling.checks.policy import run_policy

BY_NAME = {policy.name: policy for policy in ALL_POLICIES}
STACK = "organization/data/dev"


def test_every_policy_has_a_case():
    assert {case.policy for case in CASES} == set(BY_NAME)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_violation_is_reported_with_its_message(case: Case):
    violations = run_policy(BY_NAME[case.policy], case.bad, STACK)
    assert violations, f"{case.policy} missed {case.bad}"
    assert any(case.message in v.message for v in violations), [v.message for v in violations]
    assert all(v.urn in {r["urn"] for r in case.bad} for v in violations)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_compliant_resources_pass(case: Case):
    assert run_policy(BY_NAME[case.policy], case.good, STACK) == []


def test_values_unknown_at_preview_are_skipped_not_failed():
    rotation = BY_NAME["kms-key-rotation-enabled (KMS.4)"]
    assert isinstance(rotation, ResourceValidationPolicy)
    props = unknown_checking_proxy({"enableKeyRotation": UNKNOWN_BOOLEAN_VALUE})
    options = PlannedResourceOptions(protect=False, ignore_changes=[], retain_on_delete=False)
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    rotation.validate(ResourceValidationArgs(KEY, props, "urn:pulumi:dev::data::key::k", "k", options, None), report)
    assert reported == []

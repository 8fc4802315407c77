"""Who runs a command is not a change: the providers' deployer session tag and the role they assume
(deploy or drift) neither show as drift nor change the plan digest a reviewer confirms."""

import json
from typing import Any

from pulumi.automation.events import StepEventMetadata

from shared.providers import without_run_identity
from tooling.checks.broadening import layer_digests, plan_digest
from tooling.checks.compare import declared_config
from tooling.checks.redact import Redactor
from tooling.checks.report import Tally
from tooling.stacks.events import StepReader

PROVIDER_URN = "urn:pulumi:prod::data::pulumi:providers:aws::aws"
ACCOUNT = "123456789012"


def assume_roles(role: str, deployer: str, layer: str = "data") -> list[dict[str, Any]]:
    return [
        {
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{role}-prod-p01",
            "sessionName": "pulumi-prod-p01",
            "tags": {"environment": "prod", "layer": layer, "deployer": deployer},
            "transitiveTagKeys": ["environment", "layer", "deployer"],
        }
    ]


def provider(roles: list[dict[str, Any]]) -> dict[str, Any]:
    """A provider's inputs as the state keeps them: structured values as JSON text."""
    return {"region": "eu-west-1", "allowedAccountIds": json.dumps([ACCOUNT]), "assumeRoles": json.dumps(roles)}


def provider_step(old: dict[str, Any], new: dict[str, Any]) -> StepEventMetadata:
    state = {"type": "pulumi:providers:aws", "urn": PROVIDER_URN}
    return StepEventMetadata.from_json(
        {
            "op": "update",
            "urn": PROVIDER_URN,
            "type": "pulumi:providers:aws",
            "old": {**state, "inputs": old, "outputs": old},
            "new": {**state, "inputs": new, "outputs": new},
            "diffs": ["assumeRoles"],
        }
    )


def drift_items(old: dict[str, Any], new: dict[str, Any]) -> list[Any]:
    reader = StepReader("code_state", "data", "prod", state={}, redactor=Redactor(), tally=Tally())
    return reader.items([provider_step(old, new)])


def test_a_drift_check_by_someone_else_with_the_drift_role_finds_no_drift_in_the_provider():
    deployed = provider(assume_roles("deploy-role", "ci@example.com"))
    checked = provider(assume_roles("drift-role", "nightly@example.com"))
    assert drift_items(deployed, checked) == []


def test_a_real_change_of_the_providers_role_is_still_drift():
    deployed = provider(assume_roles("deploy-role", "ci@example.com"))
    moved = provider(assume_roles("deploy-role", "ci@example.com", layer="application"))
    (item,) = drift_items(deployed, moved)
    assert item.path == "assumeRoles" and item.type == "pulumi:providers:aws"


def test_the_plan_digest_does_not_depend_on_who_previewed_it():
    def preview(roles: list[dict[str, Any]]) -> dict[str, Any]:
        resource = {"urn": PROVIDER_URN, "type": "pulumi:providers:aws", "inputs": provider(roles)}
        return {"layers": [{"name": "data", "resources": [resource]}]}

    config = declared_config("prod")
    reviewer = layer_digests(preview(assume_roles("deploy-role", "reviewer@example.com")), config)
    deployer = layer_digests(preview(assume_roles("deploy-role", "ci@example.com")), config)
    other_layer = layer_digests(preview(assume_roles("deploy-role", "ci@example.com", layer="application")), config)
    assert plan_digest(reviewer) == plan_digest(deployer)
    assert plan_digest(other_layer) != plan_digest(deployer)


def test_run_identity_is_read_from_the_states_json_text_and_from_a_programs_list():
    roles = assume_roles("drift-role", "someone")
    as_list = without_run_identity({"assumeRoles": roles})["assumeRoles"]
    as_text = json.loads(without_run_identity({"assumeRoles": json.dumps(roles)})["assumeRoles"])
    assert as_list == as_text
    assert "deployer" not in as_list[0]["tags"] and as_list[0]["roleArn"].endswith(":role/<accounts-role>-prod-p01")

"""The README and docs say what the code does: their tables are compared with the code they describe."""

import re

import pytest

from shared.contracts import CONTRACTS
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO
from tests.support import planned

IDENTITY_OUTPUTS = {"environment", "region"}
NUMBERS = {"One": 1, "Two": 2, "Three": 3, "Four": 4, "Five": 5, "Six": 6}


def section(document: str, heading: str) -> str:
    """The text of one `##`/`###` section of a markdown document, up to the next heading of any level."""
    text = (REPO / document).read_text()
    start = text.index(f"{heading}\n")
    following = re.search(r"^#{1,3} ", text[start + len(heading) :], re.MULTILINE)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def table_rows(text: str) -> list[list[str]]:
    rows = [line.strip().strip("|").strip().split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return rows[1:]  # without the header


def expand(token: str) -> list[str]:
    """The README's shorthand for output names: `{a,b}Name` is aName and bName; `xTableName/Arn` is
    xTableName and xTableArn (each alternative replaces the last word)."""
    braces = re.fullmatch(r"\{([^}]*)\}(.*)", token)
    names = [prefix + braces.group(2) for prefix in braces.group(1).split(",")] if braces else [token]
    expanded = []
    for name in names:
        first, *alternatives = name.split("/")
        expanded += [first] + [re.sub(r"[A-Z][a-z0-9]*$", alternative, first) for alternative in alternatives]
    return expanded


def test_the_shorthand_expands_as_the_readme_means_it():
    assert expand("{lambda,database}SecurityGroupId") == ["lambdaSecurityGroupId", "databaseSecurityGroupId"]
    assert expand("paymentQueueName/Arn/Url") == ["paymentQueueName", "paymentQueueArn", "paymentQueueUrl"]
    assert expand("{a,b}FunctionName/Arn") == ["aFunctionName", "aFunctionArn", "bFunctionName", "bFunctionArn"]


def test_the_readmes_exports_table_lists_every_layers_contract():
    rows = table_rows(section("README.md", "### Layer contracts"))
    listed = {layer: {n for token in re.findall(r"`([^`]+)`", cell) for n in expand(token)} for layer, cell in rows}
    assert set(listed) == set(CONTRACTS)
    for layer, contract in CONTRACTS.items():
        exported = set(contract.exports) - IDENTITY_OUTPUTS
        assert listed[layer] == exported, (
            f"{layer}: missing {sorted(exported - listed[layer])}, not exported {sorted(listed[layer] - exported)}"
        )


def makefile_targets() -> set[str]:
    """What `make help` lists: each target with a `## ` description."""
    return set(re.findall(r"^([a-z-]+):.*## ", (REPO / "Makefile").read_text(), re.MULTILINE))


def test_the_readmes_targets_table_lists_every_make_target():
    rows = table_rows(section("README.md", "## Make targets"))
    listed: set[str] = set()
    for target_cell, _ in rows:
        for usage in re.findall(r"`make ([a-z-]+(?: / [a-z-]+)*)", target_cell):
            listed |= set(usage.split(" / "))
    assert listed == makefile_targets(), (
        f"not in the README: {sorted(makefile_targets() - listed)}, not in the Makefile: "
        f"{sorted(listed - makefile_targets())}"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_design_doc_counts_the_kms_keys_the_plan_creates(env):
    (stated,) = re.findall(r"(\w+) customer-managed keys per environment", (REPO / "docs" / "design.md").read_text())
    keys = [r for layer in planned(env)["layers"] for r in layer["resources"] if r["type"] == "aws:kms/key:Key"]
    assert NUMBERS[stated] == len(keys)


def test_the_application_readme_waits_for_nothing():
    text = (REPO / "application" / "README.md").read_text()
    assert "Waiting for other branches" not in text and "PENDING_HANDLERS" not in text


def test_per_layer_pulumi_up_uses_the_policy_pack_make_deploy_uses():
    commands = re.findall(
        r"^\s*(?:[A-Z_]+=\S+\s+)*pulumi up .*$", (REPO / "docs" / "deploying.md").read_text(), re.MULTILINE
    )
    assert commands
    for command in commands:
        assert "--policy-pack" in command, command

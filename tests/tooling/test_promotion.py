"""Promotion through `make deploy` in-process, against the fake `pulumi` and a world of deployed stacks
built from the offline plans (tests/tooling/fake_world.py): the record a staging deploy leaves, and
the gate of a prod deploy, condition by condition, with its one-line refusals and the override."""

import json
from typing import Any

import pytest

from shared.contracts import DEPLOY_ORDER
from tests.tooling.fake_world import World
from tests.tooling.test_drift import world
from tooling.stacks import driver, guard

__all__ = ["world"]

HEAD = "a" * 40
OTHER = "b" * 40


def checkout_is(monkeypatch: pytest.MonkeyPatch, head: str = HEAD, clean: bool = True) -> None:
    dirty = [] if clean else ["application/app.py"]
    monkeypatch.setattr(guard, "checkout_state", lambda: (head, dirty))


def record_of(world: World, env: str) -> dict[str, Any]:
    return json.loads((world.root / "organization" / "payments-promotion" / env / "outputs.json").read_text())


def deploy(env: str, *extra: str) -> int:
    return driver.main(["deploy", "--env", env, *extra])


@pytest.fixture
def staged(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """Staging deployed from HEAD with a clean tree, its record written; prod deployed (same plan)."""
    checkout_is(monkeypatch)
    world.deploy("staging").deploy("prod")
    assert deploy("staging") == 0
    return world


def refusal(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_staging_deploy_writes_the_record(staged: World) -> None:
    record = record_of(staged, "staging")

    assert record["environment"] == "staging" and record["commit"] == HEAD and record["clean"] is True
    assert len(record["artifactSha256"]) == 64
    assert record["policyPack"].startswith("payments-baseline@")
    assert set(record["previewDigests"]) == {"networking", "data", "application", "observability"}
    assert set(record["promotable"]) == {"transactionsTableArn", "idempotencyTableArn"}
    assert record["promotable"]["transactionsTableArn"].startswith("arn:aws:dynamodb:")
    assert record["override"] is None


def test_prod_is_accepted_when_everything_matches(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy("prod", "--confirm", "prod") == 0
    assert "promotion from staging: record, commit, artifact, drift and parity all pass" in capsys.readouterr().out
    assert record_of(staged, "prod")["override"] is None


def test_prod_is_refused_without_a_staging_record(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout_is(monkeypatch)
    world.deploy("prod")
    assert deploy("prod", "--confirm", "prod") == 2
    assert "failed at record: staging has no promotion record" in refusal(capsys)


def test_prod_is_refused_for_another_commit(
    staged: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout_is(monkeypatch, head=OTHER)
    assert deploy("prod", "--confirm", "prod") == 2
    line = refusal(capsys)
    assert f"failed at commit: staging last deployed commit {HEAD[:12]}" in line and OTHER[:12] in line


def test_prod_is_refused_from_a_dirty_checkout(
    staged: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout_is(monkeypatch, clean=False)
    assert deploy("prod", "--confirm", "prod") == 2
    assert "failed at checkout: this checkout is not a clean git working tree" in refusal(capsys)


def test_prod_is_refused_when_staging_ran_a_dirty_tree(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deploy("staging").deploy("prod")
    checkout_is(monkeypatch, clean=False)
    assert deploy("staging") == 0
    checkout_is(monkeypatch)
    assert deploy("prod", "--confirm", "prod") == 2
    assert "failed at clean: staging was deployed from a working tree with uncommitted changes" in refusal(capsys)


def test_prod_is_refused_for_another_artifact(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = staged.stack_dir("staging", "application") / "outputs.json"
    running = json.loads(outputs.read_text()) | {"artifactSha256": "f" * 64}
    outputs.write_text(json.dumps(running))

    assert deploy("prod", "--confirm", "prod") == 2
    assert "failed at artifact: staging runs artifact ffffffffffff, its record says" in refusal(capsys)


def test_prod_is_refused_while_staging_drifts(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    staged.change_in_cloud("staging", "networking", "network-vpc", "enableDnsHostnames", False)

    assert deploy("prod", "--confirm", "prod") == 2
    line = refusal(capsys)
    assert "failed at drift: make drift ENV=staging finds 1 difference(s)" in line
    assert "state_cloud networking network-vpc enableDnsHostnames" in line


def test_prod_is_refused_for_an_undeclared_prod_only_difference(
    staged: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staged.change_code("prod", "networking", "network-vpc", "enableDnsHostnames", False)

    assert deploy("prod", "--confirm", "prod") == 2
    line = refusal(capsys)
    assert "failed at parity: prod's preview differs from staging in 1 undeclared way(s)" in line
    assert "network-vpc enableDnsHostnames" in line


def test_the_override_deploys_and_is_recorded(
    staged: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout_is(monkeypatch, head=OTHER)
    monkeypatch.setenv("PLATFORM_DEPLOYER", "oncall@example.com")

    assert deploy("prod", "--confirm", "prod", "--override", "INC-42 hotfix") == 0

    assert "OVERRIDE (oncall@example.com: INC-42 hotfix): deploying despite commit:" in capsys.readouterr().err
    override = record_of(staged, "prod")["override"]
    assert override["reason"] == "INC-42 hotfix" and override["deployer"] == "oncall@example.com"
    assert [f.split(":")[0] for f in override["failed"]] == ["commit"]


def test_promote_must_name_the_declared_source(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    code = driver.main(["deploy", "--env", "prod", "--confirm", "prod", "--promote-from", "dev"])
    assert code == 2
    assert "prod is promoted from staging (platform:promotedFrom in its stack files), not from dev" in refusal(capsys)
    assert driver.main(["deploy", "--env", "prod", "--confirm", "prod", "--promote-from", "staging"]) == 0


def test_a_broadening_prod_plan_needs_the_plan_digest(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    path = staged.stack_dir("prod", "networking") / "code.json"
    code = json.loads(path.read_text())
    (rule,) = [r for r in code if r["urn"].endswith("::security-groups-web-from-alb")]
    rule["inputs"]["fromPort"] = 0
    path.write_text(json.dumps(code))

    assert deploy("prod", "--confirm", "prod", "--override", "parity differs on purpose") == 2
    out, err = capsys.readouterr()
    assert "the plan broadens permissions" in err and "CONFIRM=<the digest it prints>" in err
    digest = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("plan digest prod:"))
    assert deploy("prod", "--confirm", digest, "--override", "parity differs on purpose") == 0


def test_make_preview_prints_the_plan_digest(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert driver.main(["preview", "--env", "prod"]) == 0
    out = capsys.readouterr().out
    assert "nothing grants more than before" in out
    assert [line for line in out.splitlines() if line.startswith("plan digest prod: ")]


def _calls(world: World) -> list[list[str]]:
    log = world.root.parent / "calls.jsonl"
    return [json.loads(line)["argv"] for line in log.read_text().splitlines() if '"event"' not in line]


def _stack(argv: list[str]) -> str:
    return argv[argv.index("--stack") + 1] if "--stack" in argv else ""


def test_prod_applies_the_update_plan_its_assessed_preview_saved(staged: World) -> None:
    assert deploy("prod", "--confirm", "prod") == 0

    argvs = [a for a in _calls(staged) if _stack(a).startswith("organization/")]
    previews = [a for a in argvs if "preview" in a[:3] and "--save-plan" in a]
    saved = {_stack(a): a[a.index("--save-plan") + 1] for a in previews}
    ups = {_stack(a): a for a in argvs if a[:1] == ["up"]}
    for layer in DEPLOY_ORDER:
        assert f"--plan={saved[f'organization/payments-{layer}/prod']}" in ups[f"organization/payments-{layer}/prod"]
        assert not [arg for arg in ups[f"organization/payments-{layer}/staging"] if arg.startswith("--plan")]
    assert not [a for a in previews if "/staging" in _stack(a)]


def test_a_prod_deploy_that_leaves_its_saved_plan_stops_and_says_where(
    staged: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assess = driver.assess_stacks

    def program_changes_after_the_preview(*args: Any, **kwargs: Any) -> Any:
        assessment = assess(*args, **kwargs)
        staged.change_code("prod", "networking", "network-vpc", "enableDnsHostnames", False)
        return assessment

    monkeypatch.setattr(driver, "assess_stacks", program_changes_after_the_preview)

    assert deploy("prod", "--confirm", "prod") == 1
    err = capsys.readouterr().err
    assert "error: deploy stopped at layer networking (organization/payments-networking/prod)" in err
    assert "the update left its saved plan: resource urn:pulumi:prod::payments-networking::" in err
    assert "network-vpc violates plan: properties changed: ~~enableDnsHostnames[{True}!={False}]" in err
    assert "not run: data, application, observability" in err


def test_a_plan_digest_must_be_the_current_plans(staged: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy("prod", "--confirm", "0123456789ab") == 2
    line = refusal(capsys)
    assert "CONFIRM=0123456789ab is not this plan's digest" in line and "the plan changed since it was reviewed" in line


def test_an_uncommitted_salt_is_named_by_the_gate(
    staged: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(guard, "checkout_state", lambda: (HEAD, ["networking/Pulumi.prod.yaml"]))

    assert deploy("prod", "--confirm", "prod") == 2
    line = refusal(capsys)
    assert "failed at checkout: this checkout is not a clean git working tree" in line
    assert "uncommitted networking/Pulumi.prod.yaml" in line and "encryptionsalt" in line

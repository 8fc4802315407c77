"""`make release` / `make rollback` against the fake `pulumi` on PATH and a fake health source (a JSON file).

Each test runs in a copy of the repository (tests/tooling/test_stacks_cli.py), so the application
stack file the release rewrites is the copy's. Its stacks were created before (a release follows a
deploy), so the stack file already holds the passphrase provider's salt and only the release changes it.
"""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tooling.test_stacks_cli import Checkout, _assert_refused

BLUE_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bweb-1/aaa"
GREEN_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gweb-1/bbb"
OUTPUTS = {
    "webActiveColor": "blue",
    "webTargetGroupArns": {"blue": BLUE_TG, "green": GREEN_TG},
    "webAutoScalingGroupNames": {"blue": "asg-web-blue-dev-d01", "green": "asg-web-green-dev-d01"},
}
HEALTHY = [{"id": "i-1", "state": "healthy"}, {"id": "i-2", "state": "healthy"}]
SALT = "v1:c2FsdHNhbHQ=:v1:Y2hlY2tjaGVja2No:Y2lwaGVydGV4dGNpcGhlcnRleHQ="


def _ready(
    checkout: Checkout,
    tmp_path: Path,
    green: list[dict[str, str]],
    blue: list[dict[str, str]] = HEALTHY,
    env: str = "dev",
) -> None:
    stack_file = checkout.root / "application" / f"Pulumi.{env}.yaml"
    stack_file.write_text(f"encryptionsalt: {SALT}\n{stack_file.read_text()}")
    outputs = tmp_path / "outputs"
    outputs.mkdir(exist_ok=True)
    (outputs / "application.json").write_text(json.dumps(OUTPUTS))
    health = tmp_path / "health.json"
    health.write_text(json.dumps({BLUE_TG: blue, GREEN_TG: green}))
    checkout.env |= {
        "FAKE_PULUMI_OUTPUTS_DIR": str(outputs),
        "RELEASE_TARGET_HEALTH_FILE": str(health),
        "RELEASE_WAIT_SECONDS": "0",
        "RELEASE_POLL_SECONDS": "0",
    }


def _colors(checkout: Checkout, env: str = "dev") -> tuple[Any, Any]:
    config = yaml.safe_load((checkout.root / "application" / f"Pulumi.{env}.yaml").read_text())["config"]
    return config["application:activeColor"], config["application:canaryPercent"]


def _ups(checkout: Checkout, env: str = "dev") -> list[dict[str, Any]]:
    ups = checkout.operations("up")
    assert all(c["layer"] == "application" and c["stack"] == f"organization/payments-application/{env}" for c in ups)
    return ups


def _assert_guarded(checkout: Checkout, ups: list[dict[str, Any]], *, diff: bool) -> None:
    """The guard's rails on every `pulumi up`: the policy pack, the deployer, the diff in prod only."""
    assert ups
    for call in ups:
        argv = call["argv"]
        assert argv[argv.index("--policy-pack") + 1] == str(checkout.root / "policy")
        assert call["env"]["PLATFORM_DEPLOYER"]
        assert "--yes" in argv
        assert ("--diff" in argv, "--skip-preview" in argv) == (diff, not diff)


def test_release_updates_the_idle_colour_waits_for_health_then_shifts_traffic(
    checkout: Checkout, tmp_path: Path
) -> None:
    _ready(checkout, tmp_path, green=HEALTHY)
    before = (checkout.root / "application" / "Pulumi.dev.yaml").read_text()

    result = checkout.make("release", ENV="dev", COLOR="green")

    assert result.returncode == 0, result.output
    assert len(_ups(checkout)) == 2  # update green (weights unchanged), then all traffic to green
    _assert_guarded(checkout, _ups(checkout), diff=False)
    assert "plan digest dev (application): " in result.stdout
    assert "instance refresh of asg-web-green-dev-d01" in result.stdout
    assert "green: 2 of 2 targets healthy" in result.stdout
    assert "blue keeps running" in result.stdout
    assert _colors(checkout) == ("green", 0)
    after = (checkout.root / "application" / "Pulumi.dev.yaml").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [("  application:activeColor: blue", "  application:activeColor: green")]  # comments kept


def test_a_canary_step_comes_first_when_asked(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=HEALTHY)

    result = checkout.make("release", ENV="dev", COLOR="green", CANARY="10")

    assert result.returncode == 0, result.output
    assert len(_ups(checkout)) == 3
    assert "canary: 10 % to green" in result.stdout
    assert _colors(checkout) == ("green", 0)


@pytest.mark.parametrize(
    ("green", "fragments"),
    [
        ([], ("green has no targets in dev",)),
        (
            [
                {"id": "i-1", "state": "healthy"},
                {"id": "i-2", "state": "unhealthy", "reason": "Target.FailedHealthChecks"},
            ],
            ("green has 1 of 2 targets not healthy in dev", "i-2 unhealthy (Target.FailedHealthChecks)"),
        ),
        ([{"id": "i-3", "state": "initial"}], ("green has 1 of 1 targets not healthy", "i-3 initial")),
    ],
    ids=["no targets", "unhealthy", "still starting"],
)
def test_release_refuses_while_the_idle_colour_is_not_healthy(
    checkout: Checkout, tmp_path: Path, green: list[dict[str, str]], fragments: tuple[str, ...]
) -> None:
    _ready(checkout, tmp_path, green=green)

    result = checkout.make("release", ENV="dev", COLOR="green")

    _assert_refused(result, *fragments, "traffic stays where it is")
    assert len(_ups(checkout)) == 1  # the update of the idle colour only: no weight changed
    assert _colors(checkout) == ("blue", 0)


def test_release_refuses_the_active_colour_and_a_missing_colour(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=HEALTHY)

    _assert_refused(checkout.make("release", ENV="dev", COLOR="blue"), "blue is already active in dev", "COLOR=green")
    _assert_refused(checkout.make("release", ENV="dev"), "COLOR is required")
    _assert_refused(checkout.make("release", ENV="dev", COLOR="green", CANARY="80"), "CANARY must be")
    _assert_refused(checkout.make("release", ENV="prod", COLOR="green"), "CONFIRM=prod")
    _assert_refused(
        checkout.make("release", ENV="dev", COLOR="purple"),
        "COLOR must be one of blue, green",
        "make release ENV=dev COLOR=blue|green",
    )
    assert checkout.operations("up") == []


def test_prod_release_and_rollback_name_the_command_that_works(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=HEALTHY, env="prod")

    _assert_refused(
        checkout.make("release", ENV="prod", COLOR="green"), "make release ENV=prod COLOR=green CONFIRM=prod"
    )
    _assert_refused(checkout.make("rollback", ENV="prod"), "make rollback ENV=prod CONFIRM=prod")
    assert checkout.operations("up") == []


def test_a_prod_release_is_gated_passes_the_policy_pack_and_shows_the_diff(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=HEALTHY, env="prod")

    # prod is promoted from staging: with no staging record here, the gate refuses before any `up`
    refused = checkout.make("release", ENV="prod", COLOR="green", CONFIRM="prod")
    _assert_refused(refused, "refusing to release prod: promotion from staging failed at record", "OVERRIDE=")
    assert checkout.operations("up") == []

    result = checkout.make("release", ENV="prod", COLOR="green", CONFIRM="prod", OVERRIDE="INC-7 rehearsal")

    assert result.returncode == 0, result.output
    assert "OVERRIDE (" in result.stderr and "INC-7 rehearsal" in result.stderr
    assert "plan digest prod (application): " in result.stdout
    _assert_guarded(checkout, _ups(checkout, "prod"), diff=True)
    assert _colors(checkout, "prod") == ("green", 0)


def test_rollback_returns_traffic_to_the_colour_that_kept_running(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=HEALTHY)
    assert checkout.make("release", ENV="dev", COLOR="green").returncode == 0

    result = checkout.make("rollback", ENV="dev")

    assert result.returncode == 0, result.output
    assert "rolled back dev to blue" in result.stdout
    assert _colors(checkout) == ("blue", 0)
    assert len(_ups(checkout)) == 3


def test_rollback_refuses_when_the_previous_colour_is_gone(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=[])

    _assert_refused(checkout.make("rollback", ENV="dev"), "green has no targets in dev")
    assert _colors(checkout) == ("blue", 0)


def test_a_failing_up_leaves_the_stack_file_as_it_was(checkout: Checkout, tmp_path: Path) -> None:
    _ready(checkout, tmp_path, green=HEALTHY)
    checkout.env |= {"FAKE_PULUMI_FAIL_LAYER": "application"}

    result = checkout.make("release", ENV="dev", COLOR="green")

    assert result.returncode != 0
    policy = checkout.root / "policy"
    assert f"error: release dev stopped: `pulumi up --policy-pack {policy} --yes --skip-preview` exited with 255" in (
        result.stderr
    )
    assert "stack file is unchanged" in result.stderr
    assert _colors(checkout) == ("blue", 0)

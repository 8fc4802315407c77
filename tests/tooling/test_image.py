"""The web tier's image is a pinned stack value that compare, drift and the promotion gate see, and that
`make bump-image` changes on purpose: the current release through AWS (moto here), or the promoted
source's release in the environment's own region, or one given by hand; one-line refusals otherwise."""

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from application.settings import WebImageSettings
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_layer_config, read_stack_file
from tests.support import planned
from tests.tooling.fake_world import World
from tests.tooling.test_drift import world
from tests.tooling.test_promotion import checkout_is, deploy, refusal
from tooling import bump_image
from tooling.checks import compare as comparator
from tooling.checks.record import plan_environment
from tooling.plan import engine
from tooling.stacks import compare as compare_command
from tooling.stacks import drift

__all__ = ["world"]

KEY = "application:webImage"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
# A release staging moves to while prod still runs the one in its stack file.
NEW = {
    "staging": WebImageSettings(id="ami-0123456789abcdef0", name="al2023-ami-2023.12.20260601.0-kernel-6.1-arm64"),
    "prod": WebImageSettings(id="ami-0fedcba9876543210", name="al2023-ami-2023.12.20260601.0-kernel-6.1-arm64"),
}
Images = Callable[[dict[str, WebImageSettings]], None]


def image_of(env: str) -> WebImageSettings:
    return WebImageSettings.model_validate_json(read_layer_config("application", env)[KEY])


def web_templates(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for layer in plan["layers"] for r in layer["resources"] if r["type"] == LAUNCH_TEMPLATE]


@pytest.fixture
def images(monkeypatch: pytest.MonkeyPatch) -> Images:
    """Plans and comparisons read these images instead of the stack files' (nothing is written)."""
    monkeypatch.setattr(engine, "_OFFLINE_RECORDS", {})  # the offline records of these plans stay in this test

    def use(changed: dict[str, WebImageSettings]) -> None:
        def read(layer: str, env: str) -> dict[str, Any]:
            config = read_layer_config(layer, env)
            if layer == "application" and env in changed:
                config[KEY] = changed[env].model_dump_json()
            return config

        monkeypatch.setattr(engine, "read_layer_config", read)
        monkeypatch.setattr(comparator, "read_layer_config", read)

    return use


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_plan_resolves_an_input_at_launch(env: str) -> None:
    plan = planned(env)
    assert "resolve:ssm:" not in json.dumps(plan)
    templates = web_templates(plan)
    assert templates
    for template in templates:
        assert template["inputs"]["imageId"] == image_of(env).id
        assert template["inputs"]["tags"]["ImageName"] == image_of(env).name
        for specification in template["inputs"]["tagSpecifications"]:
            assert specification["tags"]["ImageName"] == image_of(env).name


def test_compare_shows_both_images_when_staging_alone_moves(
    images: Images, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that the table shows each image id on one line
    images({"staging": NEW["staging"]})
    report = tmp_path / "compare.json"

    code = compare_command.main(["--left", "staging", "--right", "prod", "--source", "plan", "--json", str(report)])

    assert code == 0  # declared by application:webImage
    out = capsys.readouterr().out
    assert NEW["staging"].id in out and image_of("prod").id in out
    items = json.loads(report.read_text())["items"]
    ids = [i for i in items if i["path"] == "imageId"]
    assert {i["resource"].rsplit("::", 1)[-1] for i in ids} == {"web-blue", "web-green"}
    for item in ids:
        assert (item["left_value"], item["right_value"]) == (NEW["staging"].id, image_of("prod").id)
        assert item["declared_by"] == ["application:webImage"]
    tags = [i for i in items if i["path"] == "tags" and i["type"] == LAUNCH_TEMPLATE]
    assert {(i["left_value"]["ImageName"], i["right_value"]["ImageName"]) for i in tags} == {
        (NEW["staging"].name, image_of("prod").name)
    }


@pytest.fixture
def staging_moved(world: World, images: Images, monkeypatch: pytest.MonkeyPatch) -> World:
    """Staging deployed with the new release and its record written; prod deployed with the old one."""
    checkout_is(monkeypatch)
    images({"staging": NEW["staging"]})
    world.deploy("staging", plan_environment("staging")).deploy("prod")
    assert deploy("staging") == 0
    return world


def test_the_gate_refuses_prod_until_it_carries_stagings_image(
    staging_moved: World, images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("prod", "--confirm", "prod") == 2
    line = refusal(capsys)
    assert f"failed at image: prod would launch {image_of('prod').name}, staging runs {NEW['staging'].name}" in line
    assert "make bump-image ENV=prod" in line

    images(NEW)  # prod now pins the same release, by its own region's id
    staging_moved.deploy("prod", plan_environment("prod"))
    assert deploy("prod", "--confirm", "prod") == 0


def test_drift_sees_an_image_bumped_but_not_deployed(world: World, images: Images) -> None:
    world.deploy("staging")
    images({"staging": NEW["staging"]})
    (template,) = [
        r for r in web_templates(plan_environment("staging")) if r["urn"].endswith("::web-blue")
    ]  # what the code now declares
    world.change_code(
        "staging", "application", f"{LAUNCH_TEMPLATE}::web-blue", "imageId", template["inputs"]["imageId"]
    )

    report = drift.detect("staging")

    (item,) = [i for i in report.items if i.path == "imageId"]
    assert (item.comparison, item.resource.rsplit("::", 1)[-1]) == ("code_state", "web-blue")
    assert (item.left_value, item.right_value) == (image_of("staging").id, NEW["staging"].id)


# --- make bump-image ------------------------------------------------------------------------------


@pytest.fixture
def stack_files(tmp_path: Path) -> Path:
    """A copy of the application stack files to write into."""
    (tmp_path / "application").mkdir()
    for path in (REPO / "application").glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / "application" / path.name)
    return tmp_path


def pinned(directory: Path, env: str) -> WebImageSettings:
    config = read_stack_file(directory / "application" / f"Pulumi.{env}.yaml")
    return WebImageSettings.model_validate_json(config[KEY])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[bump_image.Images]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        images = bump_image.aws_images()
        assert images is not None
        yield images


def moto_current(region: str) -> WebImageSettings:
    image_id = boto3.client("ssm", region_name=region).get_parameter(Name=bump_image.LATEST_PARAMETER)["Parameter"][
        "Value"
    ]
    (image,) = boto3.client("ec2", region_name=region).describe_images(ImageIds=[image_id])["Images"]
    return WebImageSettings(id=image_id, name=image["Name"])


def test_an_environment_that_is_not_promoted_takes_the_current_release_through_aws(
    aws: bump_image.Images, stack_files: Path
) -> None:
    path = stack_files / "application" / "Pulumi.staging.yaml"
    bump_image.write(bump_image.Bumped(path, pinned(stack_files, "staging"), NEW["staging"], "an older pin"))
    before = path.read_text().splitlines()

    bumped = bump_image.choose("staging", None, None, aws, stack_files)
    bump_image.write(bumped)

    region = str(read_layer_config("application", "staging")["platform:region"])
    assert (bumped.before, bumped.after) == (NEW["staging"], moto_current(region))
    assert pinned(stack_files, "staging") == moto_current(region)
    after = path.read_text().splitlines()
    changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert [after[i].split(":", 2)[:2] for i in changed] == [["  application", "webImage"]]  # one line, the rest kept


def test_a_promoted_environment_carries_its_sources_release_in_its_own_region(
    aws: bump_image.Images, stack_files: Path
) -> None:
    staging_region = str(read_layer_config("application", "staging")["platform:region"])
    prod_region = str(read_layer_config("application", "prod")["platform:region"])
    bump_image.write(bump_image.choose("staging", None, None, aws, stack_files))

    bumped = bump_image.choose("prod", None, None, aws, stack_files)

    assert bumped.after.name == pinned(stack_files, "staging").name == moto_current(staging_region).name
    assert bumped.after.id == moto_current(prod_region).id != pinned(stack_files, "staging").id
    assert "prod is promoted from staging" in bumped.why


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert bump_image.aws_images() is None


def bump(directory: Path, *argv: str) -> int:
    return bump_image.main(list(argv), directory=directory)


def test_without_credentials_an_environment_that_is_not_promoted_needs_the_image_and_its_name(
    no_credentials: None, stack_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (stack_files / "application" / "Pulumi.dev.yaml").read_text()

    assert bump(stack_files, "--env", "dev") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: make bump-image: no AWS credentials to resolve the current Amazon Linux 2023")
    assert "IMAGE=ami-... and IMAGE_NAME=" in line
    assert (stack_files / "application" / "Pulumi.dev.yaml").read_text() == before  # nothing written

    assert bump(stack_files, "--env", "dev", "--image", NEW["staging"].id, "--name", NEW["staging"].name) == 0
    assert pinned(stack_files, "dev") == NEW["staging"]
    assert f"-> {NEW['staging'].id} ({NEW['staging'].name})" in capsys.readouterr().out


def test_without_credentials_a_promoted_environment_takes_its_sources_release_and_a_given_id(
    no_credentials: None, stack_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bump(stack_files, "--env", "staging", "--image", NEW["staging"].id, "--name", NEW["staging"].name)
    capsys.readouterr()

    assert bump(stack_files, "--env", "prod") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"prod is promoted from staging: its release {NEW['staging'].name}" in line
    assert "no AWS credentials to find its id in" in line and "give IMAGE=ami-..." in line

    assert bump(stack_files, "--env", "prod", "--image", NEW["prod"].id) == 0
    assert pinned(stack_files, "prod") == NEW["prod"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "qa"], "unknown environment 'qa'; allowed: "),
        (["--env", "dev", "--image", "ami-12", "--name", NEW["staging"].name], "is not an AMI id"),
        (["--env", "dev", "--image", NEW["staging"].id, "--name", "ubuntu-24.04"], "not an Amazon Linux 2023 arm64"),
        (["--env", "prod", "--image", NEW["prod"].id, "--name", NEW["staging"].name], "bump staging first"),
    ],
    ids=["unknown-environment", "bad-ami-id", "not-al2023-arm64", "not-the-sources-release"],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    no_credentials: None, stack_files: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = {p.name: p.read_text() for p in (stack_files / "application").glob("Pulumi.*.yaml")}
    assert bump(stack_files, *argv) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: make bump-image: ") and message in line
    assert {p.name: p.read_text() for p in (stack_files / "application").glob("Pulumi.*.yaml")} == before

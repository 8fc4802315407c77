"""`make bump-image ENV= [IMAGE=ami-...] [IMAGE_NAME=...]`: change the web tier's pinned image on purpose.

The image is the stack value `application:webImage: {id, name}` (application/settings.py): the AMI
in the environment's region and the Amazon Linux 2023 arm64 release it is. This command rewrites
that one line of `application/Pulumi.<env>.yaml` (comments and every other key stay) and nothing
else; review and commit it like any change, then deploy.

Which release:
- an environment that declares `platform:promotedFrom` carries its source's release (prod takes
  staging's): promotion moves what was tested, never "the newest";
- any other environment takes the current Amazon Linux 2023 arm64 release, resolved through AWS's
  public SSM parameter when AWS credentials exist.
Which id: AMI ids are regional, so the release's id in this environment's region: looked up in EC2
(owner amazon) with credentials, the source's own id when both share a region, or `IMAGE=` given by
hand. Without credentials an environment that is not promoted needs `IMAGE=` and `IMAGE_NAME=`.

Exit codes: 0 written (or already current), 2 a usage, configuration or lookup problem (one line).
"""

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from application.settings import WebImageSettings
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_stack_file
from tooling.checks.cli import CommandParser

KEY = "application:webImage"
LATEST_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
IMAGE_OWNER = "amazon"
USAGE = 2


class BumpError(ValueError):
    """Why nothing was written: one line naming what is wrong and what is allowed."""


class Images(Protocol):
    """Where AMIs are looked up (AWS, through boto3; moto in the tests)."""

    def latest(self, region: str) -> str: ...
    def name_of(self, region: str, image_id: str) -> str: ...
    def id_of(self, region: str, name: str) -> str: ...


class Ec2Images:
    """AWS's public SSM parameter for the current release, EC2 for ids and names (owner amazon)."""

    def latest(self, region: str) -> str:
        ssm = boto3.client("ssm", region_name=region)
        return str(ssm.get_parameter(Name=LATEST_PARAMETER)["Parameter"]["Value"])

    def name_of(self, region: str, image_id: str) -> str:
        try:
            images = self._images(region, ImageIds=[image_id])
        except ClientError as exc:
            raise BumpError(f"{image_id} in {region}: {exc.response['Error']['Message']}") from exc
        if len(images) != 1:
            raise BumpError(f"{image_id} does not exist in {region}")
        image = images[0]
        if image.get("Architecture") != "arm64":
            raise BumpError(f"{image_id} is {image.get('Architecture')}, not arm64 (the web tier is Graviton)")
        return str(image["Name"])

    def id_of(self, region: str, name: str) -> str:
        images = self._images(region, Owners=[IMAGE_OWNER], Filters=[{"Name": "name", "Values": [name]}])
        if len(images) != 1:
            raise BumpError(f"{len(images)} images named {name} from {IMAGE_OWNER} in {region}; expected exactly one")
        return str(images[0]["ImageId"])

    @staticmethod
    def _images(region: str, **query: Any) -> list[dict[str, Any]]:
        return list(boto3.client("ec2", region_name=region).describe_images(**query)["Images"])


def aws_images() -> Images | None:
    """AWS, when credentials exist (the same chain boto3 and the provider use), else None."""
    return Ec2Images() if boto3.Session().get_credentials() is not None else None


@dataclass(frozen=True)
class Bumped:
    path: Path
    before: WebImageSettings
    after: WebImageSettings
    why: str


def _image_of(config: dict[str, Any], path: Path) -> WebImageSettings:
    try:
        return WebImageSettings.model_validate(json.loads(str(config[KEY])))
    except (KeyError, json.JSONDecodeError, ValidationError) as exc:
        raise BumpError(f"{path.name}: {KEY} is not a valid {{id, name}} ({exc.__class__.__name__})") from exc


def _validated(image_id: str, name: str) -> WebImageSettings:
    try:
        return WebImageSettings(id=image_id, name=name)
    except ValidationError as exc:
        raise BumpError("; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())) from exc


def choose(env: str, image: str | None, name: str | None, images: Images | None, directory: Path = REPO) -> Bumped:
    """The image `env` should pin, and why; nothing is written."""
    if env not in ENVIRONMENTS:
        raise BumpError(f"unknown environment {env!r}; allowed: {', '.join(ENVIRONMENTS)} (make bump-image ENV=...)")
    path = directory / "application" / f"Pulumi.{env}.yaml"
    config = read_stack_file(path)
    region, current = str(config["platform:region"]), _image_of(config, path)
    source = str(config.get("platform:promotedFrom", "none"))
    if source != "none":
        source_path = directory / "application" / f"Pulumi.{source}.yaml"
        source_config = read_stack_file(source_path)
        carried = _image_of(source_config, source_path)
        why = f"{env} is promoted from {source}: its release {carried.name}"
        if name and name != carried.name:
            raise BumpError(f"{why}, not {name}: bump {source} first (make bump-image ENV={source})")
        if str(source_config["platform:region"]) == region:
            if image and image != carried.id:
                raise BumpError(f"{why} is {carried.id} in {region}, the region both share, not {image}")
            return Bumped(path, current, carried, why)
        if images is not None:
            found = images.id_of(region, carried.name)
            if image and image != found:
                raise BumpError(f"{why} is {found} in {region}, not {image}")
            return Bumped(path, current, _validated(found, carried.name), f"{why}, in {region}")
        if not image:
            raise BumpError(
                f"{why}; no AWS credentials to find its id in {region}: give IMAGE=ami-... (that release in {region})"
            )
        return Bumped(path, current, _validated(image, carried.name), f"{why}, id given for {region}")
    if images is None:
        if not (image and name):
            raise BumpError(
                f"no AWS credentials to resolve the current Amazon Linux 2023 arm64 image in {region}: "
                "give IMAGE=ami-... and IMAGE_NAME=al2023-ami-...-arm64 (or run with AWS credentials)"
            )
        return Bumped(path, current, _validated(image, name), "given by hand")
    chosen = image or images.latest(region)
    found = images.name_of(region, chosen)
    if name and name != found:
        raise BumpError(f"{chosen} in {region} is {found}, not {name}")
    how = "given" if image else f"the current release ({LATEST_PARAMETER})"
    return Bumped(path, current, _validated(chosen, found), f"{how} in {region}")


def write(bumped: Bumped) -> None:
    """Rewrites the one line in place: comments and every other key stay as they are."""
    text = bumped.path.read_text()
    line = re.compile(rf"^(\s*{re.escape(KEY)}:)\s*\{{[^\n]*\}}\s*$", re.MULTILINE)
    if len(line.findall(text)) != 1:
        raise BumpError(f"{bumped.path.name}: {KEY} must be one line, {KEY}: {{id: ami-..., name: ...}}")
    after = f"{{id: {bumped.after.id}, name: {bumped.after.name}}}"
    bumped.path.write_text(line.sub(lambda match: f"{match.group(1)} {after}", text))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = CommandParser(
        prog="python -m tooling.bump_image",
        description="Pin the web tier's image of one environment (application:webImage). Exit 0 written, 2 refused.",
    )
    parser.add_argument("--env", help="the environment (make: ENV=; required)")
    parser.add_argument("--image", default="", help="ami- id in the environment's region (make: IMAGE=)")
    parser.add_argument("--name", default="", help="its Amazon Linux 2023 arm64 release name (make: IMAGE_NAME=)")
    args = parser.parse_args(argv)
    if not args.env:
        parser.error(f"--env is required: make bump-image ENV={'|'.join(ENVIRONMENTS)}")
    return args


def main(argv: Sequence[str] | None = None, images: Images | None = None, directory: Path = REPO) -> int:
    args = parse_args(argv)
    try:
        bumped = choose(args.env, args.image or None, args.name or None, images or aws_images(), directory)
        where = bumped.path.relative_to(bumped.path.parents[1])
        if bumped.after == bumped.before:
            print(f"{where}: {KEY} is already {bumped.after.id} ({bumped.why})")
            return 0
        write(bumped)
    except (BumpError, BotoCoreError, ClientError) as exc:
        print(f"error: make bump-image: {exc}", file=sys.stderr)
        return USAGE
    print(
        f"{where}: {KEY} {bumped.before.id} ({bumped.before.name}) -> {bumped.after.id} ({bumped.after.name}): "
        f"{bumped.why}; review and commit it, then make deploy ENV={args.env}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

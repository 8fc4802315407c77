"""The tag set (shared/tagging.py) on every taggable AWS resource, and a deployment marker that never diffs."""

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policy.rules import Check, items, resource_policy, value
from policy.taggable import is_taggable
from shared.tagging import DEPLOYED_AT, REQUIRED_TAGS

DEPLOYED_AT_PATH = f'tags["{DEPLOYED_AT}"]'


def list_tag_path(keys: list[str]) -> str:
    """The ignore path of the marker's value in a tag list (`tags[3].value`)."""
    return f"tags[{keys.index(DEPLOYED_AT)}].value"


def _tag_keys(tags: Any) -> list[str]:
    """Keys of a tag map, or of a tag list (Auto Scaling groups: [{key, value, propagateAtLaunch}])."""
    if isinstance(tags, Mapping):
        return list(iter(tags))  # keys only: values may be unknown
    return [str(value(tag, "key")) for tag in items(tags) if isinstance(tag, Mapping)]


def _required_tags(args: ResourceValidationArgs) -> str | None:
    present = set(_tag_keys(value(args.props, "tags")))
    missing = [tag for tag in REQUIRED_TAGS if tag not in present]
    return f"missing tags {', '.join(missing)}: pass tags=ctx.tags(...) (shared/tagging.py)" if missing else None


def _marker_ignored(args: ResourceValidationArgs) -> str | None:
    tags = value(args.props, "tags")
    keys = _tag_keys(tags)
    # A tag list has no key paths: the marker's value is ignored by its position.
    path = DEPLOYED_AT_PATH if isinstance(tags, Mapping) or DEPLOYED_AT not in keys else list_tag_path(keys)
    if path in args.opts.ignore_changes:
        return None
    return (
        f"the {DEPLOYED_AT} tag would diff on every `pulumi up`: declare the resource with opts=ctx.tagged_child(...)"
    )


def _on_taggable(check: Check) -> Callable[[str], Check | None]:
    def check_of(resource_type: str) -> Check | None:
        return check if is_taggable(resource_type) else None

    return check_of


POLICIES = (
    resource_policy(
        "required-tags-present",
        f"Every taggable AWS resource carries {', '.join(REQUIRED_TAGS)} (cost, ownership, audit scope).",
        _on_taggable(_required_tags),
    ),
    resource_policy(
        "deployed-at-tag-ignored",
        f"The {DEPLOYED_AT} tag is in ignore_changes, so redeploying an unchanged stack shows no diff.",
        _on_taggable(_marker_ignored),
    ),
)

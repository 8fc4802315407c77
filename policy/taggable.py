"""Which AWS resource types take tags: those whose pulumi_aws class accepts a `tags` argument."""

import inspect
from functools import cache

import pulumi_aws


@cache
def resource_class(resource_type: str) -> type | None:
    """The pulumi_aws class of a type token such as `aws:s3/bucket:Bucket` (None for other packages)."""
    package, module_path, class_name = resource_type.split(":")
    if package != "aws":
        return None
    module = getattr(pulumi_aws, module_path.split("/")[0], None)
    return getattr(module, class_name, None)


def is_taggable(resource_type: str) -> bool:
    cls = resource_class(resource_type)
    init = getattr(cls, "_internal_init", None)  # pulumi_aws resources declare their arguments here
    return init is not None and "tags" in inspect.signature(init).parameters

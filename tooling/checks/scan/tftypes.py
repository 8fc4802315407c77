"""Terraform resource type of a pulumi-aws token, by the bridge's own naming rule, verified against a list.

pulumi-aws is generated from the Terraform AWS provider by the Pulumi Terraform bridge. The Python SDK
carries no Terraform names (the provider plugin's `bridge-metadata.json` does, but no plugin is installed
here), so the name is derived the way the bridge names tokens, backwards: the bridge maps a Terraform
type `aws_<prefix>_<rest>` to the token `aws:<module>/<rest camelCase>:<Rest PascalCase>`, where
`<prefix>` is one of the Terraform prefixes its module table assigns to `<module>` (`api_gateway` ->
`apigateway`, `db` and `rds` -> `rds`, no prefix at all for most of `ec2`: `aws_vpc` -> `ec2/vpc:Vpc`).
Each candidate name is looked up in a list of Terraform AWS resource types (checkov's own
`resources_types`, shipped with the pinned checkov): exactly one must exist. The few tokens the bridge
names by hand are in `EXCEPTIONS`, each checked against the same list. A token with no candidate in the
list, or more than one, is reported (`UnmappedType`), never skipped.
"""

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Terraform prefixes of a pulumi-aws module, where they are not the module's own name.
# "" is the bare `aws_<rest>` the bridge gives the classic EC2/VPC resources.
MODULE_PREFIXES: dict[str, tuple[str, ...]] = {
    "apigateway": ("api_gateway",),
    "ec2": ("", "ec2"),
    "rds": ("db", "rds"),
    "cfg": ("config",),
    "amp": ("prometheus",),
    "cloudtrail": ("cloudtrail",),
}

# Tokens the bridge names by hand (its resource table), so no rule derives them.
EXCEPTIONS: dict[str, str] = {
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:alb/loadBalancer:LoadBalancer": "aws_alb",
    "aws:apigateway/response:Response": "aws_api_gateway_gateway_response",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "aws_sqs_queue_redrive_allow_policy",
    "aws:sqs/redrivePolicy:RedrivePolicy": "aws_sqs_queue_redrive_policy",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:autoscaling/tag:Tag": "aws_autoscaling_group_tag",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
}

CHECKOV_VENV = Path(__file__).resolve().parents[3] / ".venv-checkov"


class UnmappedType(ValueError):
    """A token that names no Terraform type in the list, or more than one."""


@dataclass(frozen=True)
class Mapping:
    token: str
    tf_type: str
    how: str  # "rule" or "exception"


def snake(name: str) -> str:
    """PascalCase/camelCase -> snake_case, as the bridge joins words (`VpcEndpoint` -> `vpc_endpoint`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def resource_types_file(venv: Path = CHECKOV_VENV) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages/checkov/common/checks_infra/resources_types.py"))
    if not found:
        raise FileNotFoundError(f"checkov is not installed in {venv} (make setup installs it)")
    return found[0]


@cache
def known_terraform_types(venv: Path = CHECKOV_VENV) -> frozenset[str]:
    """The Terraform AWS resource types checkov knows (its `resources_types["aws"]`), read without importing
    checkov (it lives in its own virtualenv: it pins boto3 to a version the project's tests cannot use)."""
    tree = ast.parse(resource_types_file(venv).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "resources_types" for t in node.targets):
            table = ast.literal_eval(node.value)
            return frozenset(t for t in table["aws"] if t.startswith("aws_"))
    raise ValueError(f"no resources_types table in {resource_types_file(venv)}")


def candidates(token: str) -> list[str]:
    package, module_path, name = token.split(":")
    if package != "aws":
        raise UnmappedType(f"{token}: not a pulumi-aws token")
    module = module_path.split("/")[0]
    rest = snake(name)
    return [f"aws_{prefix}_{rest}" if prefix else f"aws_{rest}" for prefix in MODULE_PREFIXES.get(module, (module,))]


def terraform_type(token: str, known: Iterable[str] | None = None) -> Mapping:
    """The Terraform type of a pulumi-aws resource token; UnmappedType when the list does not confirm exactly one."""
    listed = frozenset(known) if known is not None else known_terraform_types()
    if token in EXCEPTIONS:
        tf_type = EXCEPTIONS[token]
        if tf_type not in listed:
            raise UnmappedType(f"{token}: its exception {tf_type} is not a known Terraform type")
        return Mapping(token, tf_type, "exception")
    found = [c for c in candidates(token) if c in listed]
    if len(found) != 1:
        tried = ", ".join(candidates(token))
        what = "no known Terraform type" if not found else f"more than one ({', '.join(found)})"
        raise UnmappedType(f"{token}: {what} among {tried}; add it to EXCEPTIONS")
    return Mapping(token, found[0], "rule")

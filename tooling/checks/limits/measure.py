"""The figures an offline plan would hold AWS's limits to, one measure per limit in quotas.yaml.

Each measure reads the plan's resources (the shape of `pulumi stack export`) and yields, per resource
or per group of resources the limit counts, the figure AWS would compute. A figure that cannot be
known offline (a secret the plan masks, a rule group without a published capacity) is yielded as
unmeasured with the reason, never dropped.
"""

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tooling.plan.mock_runtime import SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER

Resource = Mapping[str, Any]


@dataclass(frozen=True)
class Figure:
    """What one limit counts for one resource (or one group, e.g. a role's inline policies)."""

    limit: str
    layer: str
    name: str  # the logical name, or the group's (the role, the account and region)
    type: str
    value: int | None  # None: cannot be known offline
    detail: str = ""  # the part that was measured, or why it could not be


@dataclass(frozen=True)
class PlannedResource:
    layer: str
    record: Resource

    @property
    def type(self) -> str:
        return str(self.record["type"])

    @property
    def name(self) -> str:
        return str(self.record["urn"]).rsplit("::", 1)[-1]

    @property
    def inputs(self) -> Mapping[str, Any]:
        return self.record.get("inputs") or {}


def planned_resources(plan: Mapping[str, Any]) -> list[PlannedResource]:
    return [PlannedResource(layer["name"], record) for layer in plan["layers"] for record in layer["resources"]]


def of_type(resources: Sequence[PlannedResource], *types: str) -> Iterator[PlannedResource]:
    return (r for r in resources if r.type in types)


def _opaque(value: Any) -> str | None:
    """Why a value cannot be measured offline, or None when it can."""
    if value == SECRET_PLACEHOLDER:
        return "a secret value the plan masks"
    if value == UNKNOWN_PLACEHOLDER or value is None:
        return "known only at deploy time"
    return None


def utf8_bytes(text: str) -> int:
    return len(text.encode())


def policy_document(value: Any) -> str:
    """A policy as AWS stores it: JSON text (the plan may hold a JSON string or an object)."""
    return value if isinstance(value, str) else json.dumps(value)


def without_white_space(policy: str) -> str:
    """IAM counts a policy's characters without white space outside its strings."""
    try:
        return json.dumps(json.loads(policy), separators=(",", ":"), ensure_ascii=False)
    except json.JSONDecodeError:
        return re.sub(r"\s+", "", policy)


# --- measures -----------------------------------------------------------------------------------


def lambda_environment(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    for r in of_type(resources, "aws:lambda/function:Function"):
        variables = (r.inputs.get("environment") or {}).get("variables") or {}
        opaque = [k for k, v in variables.items() if not isinstance(v, str) or _opaque(v)]
        measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
        if opaque:
            yield Figure("lambda-environment-variables", r.layer, r.name, r.type, None, f"{', '.join(opaque)} unknown")
        else:
            largest = max(variables, key=lambda k: len(variables[k]), default="")
            yield Figure(
                "lambda-environment-variables",
                r.layer,
                r.name,
                r.type,
                utf8_bytes(measured),
                f"{len(variables)} variables; largest {largest} ({utf8_bytes(variables.get(largest, ''))} bytes)",
            )


def iam_policies(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    inline: dict[str, list[tuple[PlannedResource, Any]]] = defaultdict(list)
    roles = {r.inputs.get("name") or r.record.get("id"): r for r in of_type(resources, "aws:iam/role:Role")}
    for role in roles.values():
        yield _policy_figure("iam-role-trust-policy", role, role.inputs.get("assumeRolePolicy"), characters=True)
        for policy in role.inputs.get("inlinePolicies") or []:
            inline[role.name].append((role, policy.get("policy")))
    for r in of_type(resources, "aws:iam/rolePolicy:RolePolicy"):
        owner = roles.get(r.inputs.get("role"))
        inline[owner.name if owner else str(r.inputs.get("role"))].append((owner or r, r.inputs.get("policy")))
    for role_name, policies in inline.items():
        owner = policies[0][0]
        opaque = [reason for _, p in policies if (reason := _opaque(p))]
        size = sum(len(without_white_space(policy_document(p))) for _, p in policies if not _opaque(p))
        yield Figure(
            "iam-role-inline-policies",
            owner.layer,
            role_name,
            "aws:iam/role:Role",
            None if opaque else size,
            opaque[0] if opaque else f"{len(policies)} inline policies",
        )
    for r in of_type(resources, "aws:iam/policy:Policy"):
        yield _policy_figure("iam-managed-policy", r, r.inputs.get("policy"), characters=True)


def resource_policies(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    for limit, properties in RESOURCE_POLICIES.items():
        for resource_type, key in properties:
            for r in of_type(resources, resource_type):
                if key in r.inputs:
                    yield _policy_figure(limit, r, r.inputs[key], characters=False)


RESOURCE_POLICIES: Mapping[str, Sequence[tuple[str, str]]] = {
    "s3-bucket-policy": [("aws:s3/bucketPolicy:BucketPolicy", "policy")],
    "sns-topic-policy": [("aws:sns/topicPolicy:TopicPolicy", "policy"), ("aws:sns/topic:Topic", "policy")],
    "sqs-queue-policy": [("aws:sqs/queuePolicy:QueuePolicy", "policy"), ("aws:sqs/queue:Queue", "policy")],
    "kms-key-policy": [("aws:kms/key:Key", "policy"), ("aws:kms/keyPolicy:KeyPolicy", "policy")],
}


def _policy_figure(limit: str, r: PlannedResource, policy: Any, *, characters: bool) -> Figure:
    opaque = _opaque(policy)
    if opaque:
        return Figure(limit, r.layer, r.name, r.type, None, opaque)
    text = policy_document(policy)
    size = len(without_white_space(text)) if characters else utf8_bytes(text)
    return Figure(limit, r.layer, r.name, r.type, size)


SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def security_group_rules(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    groups = {r.record.get("id"): r for r in of_type(resources, SECURITY_GROUP)}
    counts: dict[tuple[Any, str], int] = defaultdict(int)
    for group_id, declared in groups.items():
        for direction in ("ingress", "egress"):
            rules = declared.inputs.get(direction) or []
            counts[(group_id, direction)] += sum(_sg_rule_entries(rule) for rule in rules)
    for r in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        counts[(r.inputs.get("securityGroupId"), "ingress")] += 1
    for r in of_type(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        counts[(r.inputs.get("securityGroupId"), "egress")] += 1
    for r in of_type(resources, "aws:ec2/securityGroupRule:SecurityGroupRule"):
        counts[(r.inputs.get("securityGroupId"), str(r.inputs.get("type")))] += _sg_rule_entries(r.inputs)
    for (group_id, direction), count in sorted(counts.items(), key=lambda item: str(item[0])):
        group = groups.get(group_id)
        limit = f"vpc-security-group-{'inbound' if direction == 'ingress' else 'outbound'}-rules"
        if group is None:
            yield Figure(limit, "", str(group_id), SECURITY_GROUP, None, "a group outside this plan")
        else:
            yield Figure(limit, group.layer, group.name, group.type, count)


def _sg_rule_entries(rule: Mapping[str, Any]) -> int:
    """AWS counts one rule per CIDR, IPv6 CIDR, prefix list and referenced group of a rule."""
    sources = [
        *(rule.get("cidrBlocks") or []),
        *(rule.get("ipv6CidrBlocks") or []),
        *(rule.get("prefixListIds") or []),
        *(rule.get("securityGroups") or []),
        *([rule["sourceSecurityGroupId"]] if rule.get("sourceSecurityGroupId") else []),
        *([True] if rule.get("self") else []),
    ]
    return max(len(sources), 1)


def network_acl_rules(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    acls = {r.record.get("id"): r for r in of_type(resources, "aws:ec2/networkAcl:NetworkAcl")}
    counts: dict[tuple[Any, bool], int] = defaultdict(int)
    for acl_id, acl in acls.items():
        counts[(acl_id, False)] += len(acl.inputs.get("ingress") or [])
        counts[(acl_id, True)] += len(acl.inputs.get("egress") or [])
    for r in of_type(resources, "aws:ec2/networkAclRule:NetworkAclRule"):
        counts[(r.inputs.get("networkAclId"), bool(r.inputs.get("egress")))] += 1
    for (acl_id, egress), count in sorted(counts.items(), key=lambda item: str(item[0])):
        found = acls.get(acl_id)
        limit = f"vpc-network-acl-{'outbound' if egress else 'inbound'}-rules"
        if found is None:
            yield Figure(limit, "", str(acl_id), "aws:ec2/networkAcl:NetworkAcl", None, "an ACL outside this plan")
        else:
            yield Figure(limit, found.layer, found.name, found.type, count)


def tags(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    """A resource's own tags (a map, or the Auto Scaling list of key/value blocks), and the tags each
    launch-template tag specification puts on what it launches."""
    for r in resources:
        for where, found in _tag_sets(r.inputs):
            name = f"{r.name} {where}".rstrip()
            yield Figure("tags-per-resource", r.layer, name, r.type, len(found))
            longest_key = max(found, key=len)
            yield Figure("tag-key-length", r.layer, name, r.type, len(longest_key), longest_key)
            longest_value = max(found, key=lambda k: len(found[k]))
            yield Figure("tag-value-length", r.layer, name, r.type, len(found[longest_value]), longest_value)


def _tag_sets(inputs: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    own = inputs.get("tags")
    if isinstance(own, dict) and own:
        yield "", {str(k): str(v) for k, v in own.items()}
    elif isinstance(own, list) and own:
        yield "", {str(t.get("key")): str(t.get("value")) for t in own}
    for specification in inputs.get("tagSpecifications") or []:
        if specification.get("tags"):
            found = {str(k): str(v) for k, v in specification["tags"].items()}
            yield f"(tags of each {specification.get('resourceType')})", found


def waf_capacity(
    resources: Sequence[PlannedResource], managed_wcus: Mapping[str, int], rate_based_wcus: int
) -> Iterator[Figure]:
    for r in of_type(resources, "aws:wafv2/webAcl:WebAcl"):
        total, unknown = 0, []
        for rule in r.inputs.get("rules") or []:
            statement = rule.get("statement") or {}
            managed = statement.get("managedRuleGroupStatement")
            rate = statement.get("rateBasedStatement")
            if managed and managed.get("name") in managed_wcus and not managed.get("scopeDownStatement"):
                total += managed_wcus[managed["name"]]
            elif rate and not rate.get("scopeDownStatement") and not rate.get("customKeys"):
                total += rate_based_wcus
            else:
                unknown.append(str(rule.get("name")))
        detail = f"rules without a known capacity: {', '.join(unknown)}" if unknown else ""
        yield Figure("waf-web-acl-capacity", r.layer, r.name, r.type, None if unknown else total, detail)


def stored_values(resources: Sequence[PlannedResource]) -> Iterator[Figure]:
    for r in of_type(resources, "aws:secretsmanager/secretVersion:SecretVersion"):
        value = r.inputs.get("secretString", r.inputs.get("secretBinary"))
        opaque = _opaque(value)
        size = None if opaque else utf8_bytes(str(value))
        yield Figure("secretsmanager-secret-value", r.layer, r.name, r.type, size, opaque or "")
    for r in of_type(resources, "aws:ssm/parameter:Parameter"):
        value = r.inputs.get("value", r.inputs.get("insecureValue"))
        limit = "ssm-advanced-parameter" if r.inputs.get("tier") == "Advanced" else "ssm-standard-parameter"
        opaque = _opaque(value)
        yield Figure(limit, r.layer, r.name, r.type, None if opaque else len(str(value)), opaque or "")


PER_RESOURCE: Sequence[Callable[[Sequence[PlannedResource]], Iterator[Figure]]] = (
    lambda_environment,
    iam_policies,
    resource_policies,
    security_group_rules,
    network_acl_rules,
    tags,
    stored_values,
)


# --- account and region -------------------------------------------------------------------------


def reserved_concurrency(resources: Sequence[PlannedResource]) -> int:
    return sum(
        max(int(r.inputs.get("reservedConcurrentExecutions", -1)), 0)
        for r in of_type(resources, "aws:lambda/function:Function")
    )


def count_of(resource_type: str) -> Callable[[Sequence[PlannedResource]], int]:
    return lambda resources: sum(1 for _ in of_type(resources, resource_type))


ACCOUNT_REGION: Mapping[str, Callable[[Sequence[PlannedResource]], int]] = {
    "lambda-unreserved-concurrency": reserved_concurrency,
    "apigateway-api-keys": count_of("aws:apigateway/apiKey:ApiKey"),
    "apigateway-usage-plans": count_of("aws:apigateway/usagePlan:UsagePlan"),
}

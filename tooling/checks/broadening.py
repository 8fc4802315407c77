"""Permission broadening: what the right side grants that the left side did not.

Two snapshots in the comparator's shape (`{"layers": [{"name", "resources"}]}`: offline plans,
deployed stacks, or a preview built from the engine's steps) are normalized by the one comparator's
`Normalizer` (identity values and provider-computed ids replaced by placeholders), so staging and
prod, or a commit and the previous one, line up. Every resource that grants something is read
into atomic grants:

- IAM policy documents (role and managed policies, trust policies, key, bucket, queue and topic
  policies, any `policy` input holding a document): one grant per effect, action, resource,
  principal and condition;
- managed policies attached to a role (`policyArn`);
- Lambda permissions: action, principal, source ARN/account;
- security-group ingress (standalone rules, `SecurityGroupRule`s of type ingress and inline
  `ingress` blocks): protocol, port range, source CIDR or group.

A grant on the right broadens when no grant of the same owner on the left covers it (an action
or resource pattern that matches it, the same principal or `*`, no extra condition; for ingress a
CIDR that contains it and a port range that spans it). A `Deny` on the left that the right no
longer has is a removed deny. Each item says why: new action, new resource, new principal,
wildcard, condition removed, wider CIDR, wider ports, open to the internet, removed deny, new
attachment.

The report is versioned (`schema_version`, `kind: "broadening"`) and documented in
docs/promotion.md; exit code 7 when anything broadens, like the drift report.
"""

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shared.providers import without_run_identity
from tooling.checks.compare import OPTIONS, Normalizer, declared_config
from tooling.checks.report import CLEAN, FOUND

PROVIDER_PREFIX = "pulumi:providers:"

SCHEMA_VERSION = 1
Category = Literal[
    "iam_policy", "trust_policy", "managed_policy", "key_policy", "bucket_policy", "queue_policy", "topic_policy",
    "resource_policy", "lambda_permission", "ingress",
]  # fmt: skip

# Resource types whose `policy` input is a resource policy of a known kind.
POLICY_CATEGORIES: Mapping[str, Category] = {
    "aws:kms/key:Key": "key_policy",
    "aws:kms/keyPolicy:KeyPolicy": "key_policy",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket_policy",
    "aws:sqs/queuePolicy:QueuePolicy": "queue_policy",
    "aws:sqs/queue:Queue": "queue_policy",
    "aws:sns/topicPolicy:TopicPolicy": "topic_policy",
    "aws:sns/topic:Topic": "topic_policy",
    "aws:iam/rolePolicy:RolePolicy": "iam_policy",
    "aws:iam/policy:Policy": "iam_policy",
    "aws:iam/userPolicy:UserPolicy": "iam_policy",
    "aws:iam/groupPolicy:GroupPolicy": "iam_policy",
}
ROLE = "aws:iam/role:Role"
ATTACHMENTS = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment")
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INTERNET = ("0.0.0.0/0", "::/0")


# --- grants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One atomic permission. `owner` is what it is attached to (a role, a key, a security group...),
    by its normalized URN key, so that the same owner lines up across environments."""

    layer: str
    owner: str
    type: str
    category: Category
    effect: str = "Allow"
    action: str = ""
    resource: str = "*"
    principal: str = ""
    condition: str = ""
    # ingress only
    protocol: str = ""
    ports: tuple[int, int] = (0, 0)
    source: str = ""

    def describe(self) -> str:
        if self.category == "ingress":
            low, high = self.ports
            ports = f"{self.protocol} {low}" + (f"-{high}" if high != low else "")
            ports = "all ports" if self.protocol == "-1" else ports
            return f"ingress {ports} from {self.source}"
        if self.category == "managed_policy":
            return f"attach {self.action}"
        parts = [f"{self.effect} {self.action}"] + ([f"on {self.resource}"] if self.resource else [])
        if self.principal:
            parts.append(f"to {self.principal}")
        if self.condition:
            parts.append(f"if {self.condition}")
        return " ".join(parts)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, Mapping) and "Statement" in value:
        return value
    return None


def _principals(statement: Mapping[str, Any]) -> list[str]:
    for key, negated in (("Principal", ""), ("NotPrincipal", "not ")):
        if key not in statement:
            continue
        principal = statement[key]
        if principal == "*":
            return [f"{negated}*"]
        if isinstance(principal, Mapping):
            return [f"{negated}{kind}:{p}" for kind, values in sorted(principal.items()) for p in _as_list(values)]
    return [""]


def policy_grants(
    document: Mapping[str, Any], *, layer: str, owner: str, type_: str, category: Category
) -> list[Grant]:
    grants = []
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping):
            continue
        actions = [str(a) for a in _as_list(statement.get("Action"))] or [
            f"not {a}" for a in _as_list(statement.get("NotAction"))
        ]
        resources = [str(r) for r in _as_list(statement.get("Resource"))] or [
            f"not {r}" for r in _as_list(statement.get("NotResource"))
        ]
        condition = json.dumps(statement.get("Condition"), sort_keys=True) if statement.get("Condition") else ""
        for action in actions:
            for resource in resources or [""]:  # a resource policy: the resource itself
                for principal in _principals(statement):
                    grants.append(
                        Grant(
                            layer,
                            owner,
                            type_,
                            category,
                            str(statement.get("Effect", "Allow")),
                            action,
                            resource,
                            principal,
                            condition,
                        )
                    )
    return grants


def _port(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _ingress(layer: str, owner: str, type_: str, rule: Mapping[str, Any], sources: Iterable[str]) -> list[Grant]:
    protocol = str(rule.get("ipProtocol") or rule.get("protocol") or "-1")
    protocol = "-1" if protocol in ("all", "-1") else protocol
    low, high = (0, 65535) if protocol == "-1" else (_port(rule.get("fromPort"), 0), _port(rule.get("toPort"), 65535))
    return [Grant(layer, owner, type_, "ingress", protocol=protocol, ports=(low, high), source=s) for s in sources]


def _role_grants(layer: str, key: str, resource_type: str, inputs: Mapping[str, Any]) -> list[Grant]:
    grants: list[Grant] = []
    trust = _document(inputs.get("assumeRolePolicy"))
    if trust:
        grants += policy_grants(trust, layer=layer, owner=key, type_=resource_type, category="trust_policy")
    for inline in _as_list(inputs.get("inlinePolicies")):
        document = _document(inline.get("policy")) if isinstance(inline, Mapping) else None
        if document:
            grants += policy_grants(document, layer=layer, owner=key, type_=resource_type, category="iam_policy")
    for arn in _as_list(inputs.get("managedPolicyArns")):
        grants.append(Grant(layer, key, resource_type, "managed_policy", action=str(arn)))
    return grants


def _security_group_grants(layer: str, key: str, resource_type: str, inputs: Mapping[str, Any]) -> list[Grant]:
    grants: list[Grant] = []
    owner = f"security group <{key.split('::', 1)[-1]}.id>"
    for rule in _as_list(inputs.get("ingress")):
        if isinstance(rule, Mapping):
            sources = [*_as_list(rule.get("cidrBlocks")), *_as_list(rule.get("ipv6CidrBlocks"))]
            sources += _as_list(rule.get("securityGroups")) + (["self"] if rule.get("self") else [])
            grants += _ingress(layer, owner, resource_type, rule, [str(s) for s in sources])
    return grants


def resource_grants(layer: str, key: str, resource_type: str, inputs: Mapping[str, Any]) -> list[Grant]:
    """The grants one normalized resource declares."""
    grants: list[Grant] = []
    if resource_type == ROLE:
        grants += _role_grants(layer, key, resource_type, inputs)
    elif resource_type == SECURITY_GROUP:
        grants += _security_group_grants(layer, key, resource_type, inputs)
    elif resource_type in ATTACHMENTS:
        owner = str(inputs.get("role") or key)
        grants.append(Grant(layer, owner, resource_type, "managed_policy", action=str(inputs.get("policyArn"))))
    elif resource_type == LAMBDA_PERMISSION:
        condition = {k: inputs[k] for k in ("sourceArn", "sourceAccount", "functionUrlAuthType") if inputs.get(k)}
        grants.append(
            Grant(
                layer,
                f"function {inputs.get('function')}",
                resource_type,
                "lambda_permission",
                action=str(inputs.get("action")),
                resource=str(inputs.get("function")),
                principal=str(inputs.get("principal")),
                condition=json.dumps(condition, sort_keys=True) if condition else "",
            )
        )
    elif resource_type == INGRESS_RULE:
        owner = f"security group {inputs.get('securityGroupId')}"
        sources = [
            str(inputs[k])
            for k in ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId")
            if inputs.get(k)
        ]
        grants += _ingress(layer, owner, resource_type, inputs, sources)
    elif resource_type == SECURITY_GROUP_RULE and inputs.get("type") == "ingress":
        owner = f"security group {inputs.get('securityGroupId')}"
        sources = [*_as_list(inputs.get("cidrBlocks")), *_as_list(inputs.get("ipv6CidrBlocks"))]
        sources += [str(inputs[k]) for k in ("sourceSecurityGroupId", "self") if inputs.get(k)]
        grants += _ingress(layer, owner, resource_type, inputs, [str(s) for s in sources])
    document = _document(inputs.get("policy"))
    if document and resource_type != ROLE:
        category = POLICY_CATEGORIES.get(resource_type, "resource_policy")
        grants += policy_grants(document, layer=layer, owner=key, type_=resource_type, category=category)
    return grants


def snapshot_grants(snapshot: Mapping[str, Any], config: Mapping[str, Any]) -> list[Grant]:
    """Every grant of one side, normalized with its environment's identity values."""
    normalizer = Normalizer(snapshot, config)
    return [
        grant
        for key, (layer, resource_type, inputs) in normalizer.resources(snapshot).items()
        for grant in resource_grants(layer, key, resource_type, inputs)
    ]


# --- coverage ---------------------------------------------------------------------------------


def _matches(value: str, pattern: str, *, fold: bool = False) -> bool:
    if fold:
        value, pattern = value.lower(), pattern.lower()
    return value == pattern or fnmatchcase(value, pattern)


def _cidr_within(inner: str, outer: str) -> bool:
    try:
        a, b = ipaddress.ip_network(inner, strict=False), ipaddress.ip_network(outer, strict=False)
    except ValueError:
        return inner == outer
    return a.version == b.version and a.subnet_of(b)  # type: ignore[arg-type]


def _ingress_covers(old: Grant, new: Grant) -> bool:
    protocol = old.protocol in ("-1", new.protocol)
    ports = old.ports[0] <= new.ports[0] and new.ports[1] <= old.ports[1]
    return protocol and ports and _cidr_within(new.source, old.source)


def covers(old: Grant, new: Grant) -> bool:
    """Whether `old` already allowed everything `new` allows."""
    if (old.owner, old.category, old.effect) != (new.owner, new.category, new.effect):
        return False
    if new.category == "ingress":
        return _ingress_covers(old, new)
    principal = old.principal in ("*", new.principal)
    condition = not old.condition or old.condition == new.condition
    return (
        _matches(new.action, old.action, fold=True) and _matches(new.resource, old.resource) and principal and condition
    )


def _is_wildcard(grant: Grant) -> bool:
    if grant.category == "ingress":
        return grant.source in INTERNET or grant.protocol == "-1" or grant.ports == (0, 65535)
    return "*" in grant.action or grant.resource in ("*", "not *") or grant.principal.endswith("*")


def _ingress_reasons(new: Grant, same: Sequence[Grant]) -> list[str]:
    same_ports = [g for g in same if g.protocol in ("-1", new.protocol) and g.ports == new.ports]
    same_source = [g for g in same if _cidr_within(new.source, g.source)]
    if same_ports and not same_source:
        found = ["wider CIDR" if any(_cidr_within(g.source, new.source) for g in same_ports) else "new source"]
    else:
        found = ["wider ports" if same_source else "new ingress"]
    return found + (["open to the internet"] if new.source in INTERNET else [])


def _policy_reasons(new: Grant, same: Sequence[Grant]) -> list[str]:
    found: list[str] = []
    if not any(_matches(new.action, g.action, fold=True) for g in same):
        found.append("new action")
    elif not any(_matches(new.action, g.action, fold=True) and _matches(new.resource, g.resource) for g in same):
        found.append("new resource")
    if new.principal and not any(g.principal in ("*", new.principal) for g in same):
        found.append("new principal")
    if not found and new.condition and not any(g.condition == new.condition for g in same):
        found.append("condition changed")
    if not found and not new.condition and any(g.condition for g in same):
        found.append("condition removed")
    return found


def reasons(new: Grant, before: Sequence[Grant]) -> list[str]:
    """Why `new` broadens, against the same owner's grants of the same effect before."""
    same = [g for g in before if (g.owner, g.category, g.effect) == (new.owner, new.category, new.effect)]
    if new.category == "ingress":
        found = _ingress_reasons(new, same)
    elif new.category == "managed_policy":
        found = ["new attachment"]
    else:
        found = _policy_reasons(new, same)
    if _is_wildcard(new):
        found.append("wildcard")
    return found or ["broader"]


# --- the report -------------------------------------------------------------------------------


class BroadeningItem(BaseModel):
    """One grant the right side has that the left did not (or a deny the right side dropped)."""

    model_config = ConfigDict(frozen=True)

    layer: str
    owner: str = Field(description="what the grant is attached to: a resource key or 'security group <id>'")
    type: str = Field(description="the resource type that declares the grant")
    category: Category
    grant: str = Field(description="the grant in words: 'Allow s3:GetObject on <...> to AWS:<...>'")
    reasons: tuple[str, ...]


class BroadeningSummary(BaseModel):
    grants_left: int
    grants_right: int
    broadening: int
    by_reason: dict[str, int]


class BroadeningReport(BaseModel):
    schema_version: int = SCHEMA_VERSION
    kind: Literal["broadening"] = "broadening"
    left: str = Field(description="<env>:<side>: the before (deployed, plan, file name)")
    right: str = Field(description="<env>:<side>: the after (preview, plan, deployed, file name)")
    plan_digest: str | None = Field(default=None, description="digest of the right side (make preview prints it)")
    summary: BroadeningSummary
    items: tuple[BroadeningItem, ...]

    @property
    def exit_code(self) -> int:
        return FOUND if self.items else CLEAN

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def broadening(
    left: Sequence[Grant], right: Sequence[Grant], *, left_label: str, right_label: str, plan_digest: str | None = None
) -> BroadeningReport:
    items: list[BroadeningItem] = []
    for grant in sorted(set(right), key=_order):
        if grant.effect == "Deny" or any(covers(old, grant) for old in left):
            continue
        items.append(_item(grant, reasons(grant, left)))
    for deny in sorted(set(left), key=_order):
        if deny.effect == "Deny" and not any(covers(new, deny) for new in right):
            items.append(_item(deny, ["removed deny"]))
    by_reason: dict[str, int] = {}
    for item in items:
        for reason in item.reasons:
            by_reason[reason] = by_reason.get(reason, 0) + 1
    summary = BroadeningSummary(
        grants_left=len(set(left)), grants_right=len(set(right)), broadening=len(items), by_reason=by_reason
    )
    return BroadeningReport(
        left=left_label, right=right_label, plan_digest=plan_digest, summary=summary, items=tuple(items)
    )


def _order(grant: Grant) -> tuple[str, ...]:
    return (grant.layer, grant.owner, grant.category, grant.describe())


def _item(grant: Grant, why: Sequence[str]) -> BroadeningItem:
    return BroadeningItem(
        layer=grant.layer,
        owner=grant.owner,
        type=grant.type,
        category=grant.category,
        grant=grant.describe(),
        reasons=tuple(why),
    )


@dataclass(frozen=True)
class Snapshot:
    """One side: an environment's resources (plan, deployed or preview) and what to call it."""

    env: str
    label: str
    layers: Sequence[Mapping[str, Any]]
    config: Mapping[str, Any] = field(default_factory=dict)

    def grants(self) -> list[Grant]:
        return snapshot_grants({"layers": self.layers}, self.config or declared_config(self.env))


def compare_snapshots(left: Snapshot, right: Snapshot, plan_digest: str | None = None) -> BroadeningReport:
    return broadening(
        left.grants(), right.grants(), left_label=left.label, right_label=right.label, plan_digest=plan_digest
    )


# --- the plan digest --------------------------------------------------------------------------


def drop_ignored(inputs: dict[str, Any], ignored: Iterable[str]) -> dict[str, Any]:
    """Properties in `ignoreChanges` (DeployedAt) never cause a diff, so they never change the digest."""
    for path in ignored:
        head, _, rest = path.partition("[")
        key = rest.strip('"]') if rest else ""
        if not key and "." in head:
            head, key = head.split(".", 1)
        if key and isinstance(inputs.get(head), dict):
            inputs[head] = {k: v for k, v in inputs[head].items() if k != key}
        elif not key:
            inputs.pop(head, None)
    return inputs


def layer_digests(snapshot: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """sha256 per layer of the comparator's normalized form: identity values (environment, suffix,
    region) and provider-computed ids are placeholders, so the digest says what is declared, not where;
    nor who previewed it (the providers' deployer session tag, see `without_run_identity`)."""
    normalizer = Normalizer(snapshot, config)
    by_layer: dict[str, dict[str, Any]] = {}
    for layer in snapshot["layers"]:
        for resource in layer["resources"]:
            declared = resource.get("inputs") or {}
            if str(resource["type"]).startswith(PROVIDER_PREFIX):
                declared = without_run_identity(declared)
            inputs = drop_ignored(normalizer.value(dict(declared)), resource.get("ignoreChanges") or ())
            options = {f"<{o}>": resource.get(o) for o in OPTIONS}
            resources = by_layer.setdefault(layer["name"], {})
            resources[normalizer.key(resource["urn"])] = [resource["type"], inputs, options]
    return {
        name: hashlib.sha256(json.dumps(resources, sort_keys=True, default=str).encode()).hexdigest()
        for name, resources in by_layer.items()
    }


def plan_digest(digests: Mapping[str, str]) -> str:
    """The one digest of a whole plan (every layer's), 12 hex characters: what CONFIRM= names."""
    joined = json.dumps(dict(sorted(digests.items())), sort_keys=True)
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


# --- in the terminal --------------------------------------------------------------------------


def table(report: BroadeningReport) -> Table:
    title = f"permission broadening: {report.left} -> {report.right}: {report.summary.broadening} grant(s) broaden"
    if report.plan_digest:
        title += f" (plan digest {report.plan_digest})"
    result = Table(title=title, title_justify="left")
    for column in ("layer", "owner", "category", "grant", "why"):
        result.add_column(column, overflow="fold")
    for item in report.items:
        style = "red" if {"wildcard", "open to the internet", "removed deny"} & set(item.reasons) else "yellow"
        result.add_row(
            item.layer,
            escape(item.owner.rsplit("::", 1)[-1]),
            item.category,
            escape(item.grant),
            ", ".join(item.reasons),
            style=style,
        )
    return result


def render(report: BroadeningReport, out: Console) -> None:
    if report.items:
        out.print(table(report))
    else:
        out.print(f"permission broadening: {report.left} -> {report.right}: nothing grants more than before")

"""VPC: flow logs on, default security group closed, no public IPs by default, and nothing open to
the internet except the ALB's HTTPS and HTTP-redirect listeners."""

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.rules import (
    ANYWHERE,
    Companion,
    companion_policy,
    items,
    known,
    of_type,
    refers_to,
    resource_policy,
    stack_policy,
    value,
)

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"

PUBLIC_LISTENER_PORTS = (80, 443)
ALB_GROUP_MARKERS = ("-alb-", "sg-alb")
ALL_PROTOCOLS = ("-1", "all")


def _default_group_closed(args: ResourceValidationArgs) -> str | None:
    rules = [kind for kind in ("ingress", "egress") if items(value(args.props, kind))]
    if rules:
        return f"the default security group has {' and '.join(rules)} rules: declare it with none (EC2.2)"
    return None


def _no_public_ip(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "mapPublicIpOnLaunch") is True:
        return "instances launched here get public IPs: set mapPublicIpOnLaunch=false (the ALB and NAT need none)"
    return None


class OpenRange(NamedTuple):
    """Ports one rule opens to the whole internet."""

    source: str
    protocol: Any
    from_port: Any
    to_port: Any

    def is_listener(self) -> bool:
        single_port = self.protocol not in ALL_PROTOCOLS and self.from_port == self.to_port
        return single_port and self.from_port in PUBLIC_LISTENER_PORTS

    def ports(self) -> str:
        if self.protocol in ALL_PROTOCOLS:
            return "all ports"
        return "ports " + "-".join(
            f"{p:g}" if isinstance(p, int | float) else str(p) for p in (self.from_port, self.to_port)
        )


def _open_ranges(rule: Mapping[str, Any], v4: str, v6: str) -> Iterator[OpenRange]:
    protocol = value(rule, "ipProtocol") or value(rule, "protocol")
    for source in [*items(value(rule, v4)), *items(value(rule, v6))]:
        if source in ANYWHERE:
            yield OpenRange(source, protocol, value(rule, "fromPort"), value(rule, "toPort"))


def _internet_ingress(resource: PolicyResource) -> list[OpenRange]:
    props = resource.props
    if resource.resource_type == INGRESS_RULE:
        return list(_open_ranges(props, "cidrIpv4", "cidrIpv6"))
    if resource.resource_type == LEGACY_RULE and value(props, "type") == "ingress":
        return list(_open_ranges(props, "cidrBlocks", "ipv6CidrBlocks"))
    if resource.resource_type == SECURITY_GROUP:
        return [
            r for rule in items(value(props, "ingress")) for r in _open_ranges(rule, "cidrBlocks", "ipv6CidrBlocks")
        ]
    return []


def _group_name(group: PolicyResource | None) -> str:
    if group is None:
        return ""
    return str(known(group.props, "name") or known(group.props, "namePrefix") or known(group.props, "tags", "Name"))


def _group_of(resource: PolicyResource, groups: list[PolicyResource]) -> PolicyResource | None:
    if resource.resource_type == SECURITY_GROUP:
        return resource
    return next((g for g in groups if refers_to(resource, "securityGroupId", g, ("id",))), None)


def _restricted_ingress(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    groups = of_type(args, SECURITY_GROUP)
    for resource in args.resources:
        try:
            opened = _internet_ingress(resource)
        except UnknownValueError:
            continue  # preview: checked again by `pulumi up` once the values are known
        if not opened:
            continue
        name = _group_name(_group_of(resource, groups))
        is_alb = any(marker in name for marker in ALB_GROUP_MARKERS)
        for opening in opened:
            if not (is_alb and opening.is_listener()):
                yield (
                    resource.urn,
                    (
                        f"{resource.name} opens {opening.ports()} of security group {name or '(unresolved)'} to "
                        f"{opening.source}: only the ALB group (-alb-/sg-alb) may accept the internet, on 80 or 443; "
                        "use a security group or prefix list as the source"
                    ),
                )


POLICIES = (
    companion_policy(
        "vpc-flow-logging-enabled (EC2.6)",
        "Every VPC has a flow log (PCI DSS 10: network activity is logged).",
        Companion(VPC, FLOW_LOG, link="vpcId", subject_keys=("id",), fix="add an aws.ec2.FlowLog with vpc_id=vpc.id"),
    ),
    companion_policy(
        "vpc-default-security-group-managed (EC2.2)",
        "Every VPC's default security group is adopted by Pulumi so that it can be kept closed.",
        Companion(
            VPC,
            DEFAULT_SECURITY_GROUP,
            link="vpcId",
            subject_keys=("id",),
            fix="add an aws.ec2.DefaultSecurityGroup with vpc_id=vpc.id and no rules",
        ),
    ),
    resource_policy(
        "vpc-default-security-group-closed (EC2.2)",
        "Default security groups allow no traffic at all.",
        {DEFAULT_SECURITY_GROUP: _default_group_closed},
    ),
    resource_policy(
        "subnet-no-auto-assign-public-ip (EC2.15)",
        "Subnets never give instances public IPs by default.",
        {SUBNET: _no_public_ip},
    ),
    stack_policy(
        "vpc-sg-restricted-ingress (EC2.18)",
        "No security group accepts 0.0.0.0/0 or ::/0, except the ALB group on 443 and 80 (redirect).",
        _restricted_ingress,
    ),
)

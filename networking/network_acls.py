"""Network ACLs: a stateless second fence under the security groups.

Public subnets (ALB, NAT gateways): HTTPS and the HTTP redirect in from anywhere, ephemeral-port
return traffic in; out: ephemeral ports (answers to clients), HTTPS (NAT traffic to AWS and the
internet) and the VPC itself (ALB to the web tier, health checks).
Private subnets (Lambdas, web tier, RDS, endpoints): in only from the VPC (and a peered VPC) and
ephemeral-port return traffic (answers from S3 and DynamoDB gateway endpoints and through NAT);
out to the VPC (and a peered VPC) and HTTPS anywhere (gateway endpoints and NAT have public addresses).
Both refuse the REFUSED_PORTS from anywhere before their ephemeral-port allow.
NACLs are stateless, so every allowed flow needs its return path in the other direction.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext

ANYWHERE = "0.0.0.0/0"
TCP, ALL = "6", "-1"
EPHEMERAL = (1024, 65535)
HTTPS, HTTP = 443, 80


class Rule(NamedTuple):
    """One rule: protocol, peer CIDR and port range (0-0 for every port); allow unless `deny`."""

    protocol: str
    cidr: pulumi.Input[str]
    from_port: int = 0
    to_port: int = 0
    deny: bool = False


# Ports inside the ephemeral range that the return-traffic rule would otherwise admit from anywhere
# (stateless ACLs cannot tell a reply from a new connection): remote desktop, which nothing here
# serves (CIS 5.1 / checkov CKV_AWS_231), and what private-subnet services listen on (PostgreSQL, the
# web tier). Refused in both ACLs, before the ephemeral-port allow.
REFUSED_PORTS = (3389, 5432, 8080)


def _refused() -> list[Rule]:
    return [Rule(TCP, ANYWHERE, port, port, deny=True) for port in REFUSED_PORTS]


def public_rules(vpc_cidr: pulumi.Input[str]) -> tuple[list[Rule], list[Rule]]:
    """(ingress, egress) of the public subnets."""
    ingress = [
        Rule(TCP, ANYWHERE, HTTPS, HTTPS),
        Rule(TCP, ANYWHERE, HTTP, HTTP),
        *_refused(),
        Rule(TCP, ANYWHERE, *EPHEMERAL),
    ]
    egress = [
        Rule(TCP, ANYWHERE, *EPHEMERAL),
        Rule(TCP, ANYWHERE, HTTPS, HTTPS),
        Rule(ALL, vpc_cidr),
    ]
    return ingress, egress


def private_rules(
    vpc_cidr: pulumi.Input[str], peer_cidrs: Sequence[pulumi.Input[str]] = ()
) -> tuple[list[Rule], list[Rule]]:
    """(ingress, egress) of the private subnets."""
    inside = [Rule(ALL, vpc_cidr), *(Rule(ALL, peer) for peer in peer_cidrs)]
    ingress = [*inside, *_refused(), Rule(TCP, ANYWHERE, *EPHEMERAL)]
    egress = [*inside, Rule(TCP, ANYWHERE, HTTPS, HTTPS)]
    return ingress, egress


@dataclass(frozen=True)
class NetworkAclsArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    peer_cidrs: Sequence[pulumi.Input[str]] = field(default_factory=tuple)


class NetworkAcls(pulumi.ComponentResource):
    public: aws.ec2.NetworkAcl
    private: aws.ec2.NetworkAcl

    def __init__(self, name: str, args: NetworkAclsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:networking:NetworkAcls", name, None, opts)
        self.public = self._acl(
            name,
            ctx=ctx,
            tier="public",
            args=args,
            subnet_ids=args.public_subnet_ids,
            rules=public_rules(args.vpc_cidr),
        )
        self.private = self._acl(
            name,
            ctx=ctx,
            tier="private",
            args=args,
            subnet_ids=args.private_subnet_ids,
            rules=private_rules(args.vpc_cidr, args.peer_cidrs),
        )
        self.register_outputs({"publicAclId": self.public.id, "privateAclId": self.private.id})

    def _acl(
        self,
        name: str,
        *,
        ctx: LayerContext,
        tier: str,
        args: NetworkAclsArgs,
        subnet_ids: Sequence[pulumi.Input[str]],
        rules: tuple[list[Rule], list[Rule]],
    ) -> aws.ec2.NetworkAcl:
        ingress, egress = rules
        physical = ctx.name(f"nacl-{tier}", "ec2")
        return aws.ec2.NetworkAcl(
            f"{name}-{tier}",
            vpc_id=args.vpc_id,
            subnet_ids=list(subnet_ids),
            ingress=[aws.ec2.NetworkAclIngressArgs(**_entry(i, rule)) for i, rule in enumerate(ingress)],
            egress=[aws.ec2.NetworkAclEgressArgs(**_entry(i, rule)) for i, rule in enumerate(egress)],
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )


def _entry(index: int, rule: Rule) -> dict[str, Any]:
    """Rule numbers in steps of 100, so a rule can later be slotted in between."""
    return {
        "rule_no": (index + 1) * 100,
        "action": "deny" if rule.deny else "allow",
        "protocol": rule.protocol,
        "cidr_block": rule.cidr,
        "from_port": rule.from_port,
        "to_port": rule.to_port,
    }

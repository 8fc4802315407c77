"""VPC, public and private subnets per AZ, internet gateway, NAT per strategy, route tables."""

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from networking.settings import NatStrategy
from shared.context import LayerContext

# Each AZ gets one public and one private subnet, carved as 16ths of the VPC range:
# public subnets from the first half, private ones from the second.
_SUBNET_BITS = 4
_PRIVATE_OFFSET = 8


def subnet_cidrs(vpc_cidr: IPv4Network, az_count: int) -> tuple[list[str], list[str]]:
    blocks = list(vpc_cidr.subnets(prefixlen_diff=_SUBNET_BITS))
    public = [str(b) for b in blocks[:az_count]]
    private = [str(b) for b in blocks[_PRIVATE_OFFSET : _PRIVATE_OFFSET + az_count]]
    return public, private


def nat_count(strategy: NatStrategy, az_count: int) -> int:
    return {"none": 0, "single": 1, "per_az": az_count}[strategy]


@dataclass(frozen=True)
class VpcArgs:
    cidr: IPv4Network
    availability_zones: Sequence[str]
    nat_strategy: NatStrategy


class Vpc(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    nat_gateways: list[aws.ec2.NatGateway]

    def __init__(self, name: str, args: VpcArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:networking:Vpc", name, None, opts)
        vpc_name = ctx.name("vpc", "ec2")
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(args.cidr),
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=ctx.tags(vpc_name),
            opts=ctx.tagged_child(self),
        )
        # No rules: nothing may use the default security group by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=ctx.tags(ctx.name("default-sg-locked", "ec2")),
            opts=ctx.tagged_child(self),
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=self.vpc.id,
            tags=ctx.tags(ctx.name("igw", "ec2")),
            opts=ctx.tagged_child(self),
        )
        public_cidrs, private_cidrs = subnet_cidrs(args.cidr, len(args.availability_zones))
        self.public_subnets = [
            self._subnet(name, ctx, tier="public", index=i, az=az, cidr=cidr)
            for i, (az, cidr) in enumerate(zip(args.availability_zones, public_cidrs, strict=True))
        ]
        self.private_subnets = [
            self._subnet(name, ctx, tier="private", index=i, az=az, cidr=cidr)
            for i, (az, cidr) in enumerate(zip(args.availability_zones, private_cidrs, strict=True))
        ]

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags=ctx.tags(ctx.name("rt-public", "ec2")),
            opts=ctx.tagged_child(self),
        )
        # Routes are separate resources so that peering routes can be added beside them.
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=ctx.child(self),
        )
        for i, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=ctx.child(self),
            )

        self.nat_gateways = [
            self._nat_gateway(name, ctx, i, self.public_subnets[i], igw)
            for i in range(nat_count(args.nat_strategy, len(args.availability_zones)))
        ]
        self.private_route_tables = []
        for i, subnet in enumerate(self.private_subnets):
            # per_az: each AZ leaves through its own NAT; single: all share the first; none: no default route.
            nat = self.nat_gateways[i % len(self.nat_gateways)] if self.nat_gateways else None
            route_table = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=self.vpc.id,
                tags=ctx.tags(ctx.name(f"rt-private-{i}", "ec2")),
                opts=ctx.tagged_child(self),
            )
            if nat:
                aws.ec2.Route(
                    f"{name}-private-default-{i}",
                    route_table_id=route_table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=ctx.child(self),
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=ctx.child(self),
            )
            self.private_route_tables.append(route_table)

        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": [s.id for s in self.public_subnets],
                "privateSubnetIds": [s.id for s in self.private_subnets],
                "natGatewayIds": [n.id for n in self.nat_gateways],
            }
        )

    def _subnet(self, name: str, ctx: LayerContext, *, tier: str, index: int, az: str, cidr: str) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{name}-{tier}-{index}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags={**ctx.tags(ctx.name(f"subnet-{tier}-{az}", "ec2")), "Tier": tier},
            opts=ctx.tagged_child(self),
        )

    def _nat_gateway(
        self, name: str, ctx: LayerContext, index: int, subnet: aws.ec2.Subnet, igw: aws.ec2.InternetGateway
    ) -> aws.ec2.NatGateway:
        eip = aws.ec2.Eip(
            f"{name}-nat-eip-{index}",
            domain="vpc",
            tags=ctx.tags(ctx.name(f"eip-nat-{index}", "ec2")),
            opts=ctx.tagged_child(self, depends_on=[igw]),
        )
        return aws.ec2.NatGateway(
            f"{name}-nat-{index}",
            allocation_id=eip.id,
            subnet_id=subnet.id,
            connectivity_type="public",
            tags=ctx.tags(ctx.name(f"nat-{index}", "ec2")),
            opts=ctx.tagged_child(self, depends_on=[igw]),
        )

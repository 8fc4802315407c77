"""The Vpc component: subnets per AZ, internet gateway, NAT strategies, routes, locked default SG."""

from ipaddress import IPv4Network

import pytest

from networking.settings import NetworkingSettings
from networking.vpc import Vpc, VpcArgs, nat_count, subnet_cidrs
from shared.bootstrap import start_layer
from tests.support import one, resources, run_layer

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def build_vpc(strategy: str, zones: list[str] = ZONES):
    def body() -> None:
        _, ctx = start_layer("networking", NetworkingSettings)
        Vpc("network", VpcArgs(IPv4Network("10.2.0.0/16"), zones, strategy), ctx, ctx.component_opts())  # type: ignore[arg-type]

    return run_layer("networking", "prod", body=body)


def test_subnet_cidrs_do_not_overlap_and_stay_inside_the_vpc():
    vpc = IPv4Network("10.2.0.0/16")
    public, private = subnet_cidrs(vpc, 3)
    assert public == ["10.2.0.0/20", "10.2.16.0/20", "10.2.32.0/20"]
    assert private == ["10.2.128.0/20", "10.2.144.0/20", "10.2.160.0/20"]
    blocks = [IPv4Network(c) for c in public + private]
    assert all(b.subnet_of(vpc) for b in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


@pytest.mark.parametrize(("strategy", "expected"), [("none", 0), ("single", 1), ("per_az", 3)])
def test_nat_count(strategy, expected):
    assert nat_count(strategy, 3) == expected


def test_one_public_and_one_private_subnet_per_zone_without_public_ips():
    run = build_vpc("per_az")
    subnets = resources(run, "aws:ec2/subnet:Subnet")
    by_tier = {tier: [s for s in subnets if s["inputs"]["tags"]["Tier"] == tier] for tier in ("public", "private")}
    for tier_subnets in by_tier.values():
        assert sorted(s["inputs"]["availabilityZone"] for s in tier_subnets) == ZONES
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in subnets)
    vpc = one(run, "aws:ec2/vpc:Vpc")["inputs"]
    assert vpc["cidrBlock"] == "10.2.0.0/16"
    assert vpc["enableDnsSupport"] and vpc["enableDnsHostnames"]


def _default_routes(run):
    return [r for r in resources(run, "aws:ec2/route:Route") if r["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"]


def test_per_az_nat_gives_each_private_route_table_its_own_gateway():
    run = build_vpc("per_az")
    nats = resources(run, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    assert len(resources(run, "aws:ec2/eip:Eip")) == 3
    public_ids = {r["id"] for r in resources(run, "aws:ec2/subnet:Subnet") if r["inputs"]["tags"]["Tier"] == "public"}
    assert {nat["inputs"]["subnetId"] for nat in nats} == public_ids
    private_routes = [r for r in _default_routes(run) if "natGatewayId" in r["inputs"]]
    assert len(private_routes) == 3
    assert len({r["inputs"]["natGatewayId"] for r in private_routes}) == 3


def test_single_nat_is_shared_by_every_private_route_table():
    run = build_vpc("single")
    assert len(resources(run, "aws:ec2/natGateway:NatGateway")) == 1
    private_routes = [r for r in _default_routes(run) if "natGatewayId" in r["inputs"]]
    assert len(private_routes) == 3
    assert len({r["inputs"]["natGatewayId"] for r in private_routes}) == 1


def test_no_nat_means_private_subnets_have_no_default_route():
    run = build_vpc("none")
    assert resources(run, "aws:ec2/natGateway:NatGateway") == []
    assert resources(run, "aws:ec2/eip:Eip") == []
    routes = _default_routes(run)
    assert len(routes) == 1 and "gatewayId" in routes[0]["inputs"]  # only the public route to the IGW
    assert len(resources(run, "aws:ec2/routeTable:RouteTable")) == 4  # 1 public + 3 private


def test_public_route_table_sends_default_traffic_to_the_internet_gateway():
    run = build_vpc("none", ZONES[:2])
    igw = one(run, "aws:ec2/internetGateway:InternetGateway")
    (route,) = _default_routes(run)
    assert route["inputs"]["gatewayId"] == igw["id"]
    associations = resources(run, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert len(associations) == 4  # every subnet is associated explicitly


def test_default_security_group_is_locked_down():
    run = build_vpc("none", ZONES[:2])
    default_sg = one(run, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")["inputs"]
    assert not default_sg.get("ingress") and not default_sg.get("egress")

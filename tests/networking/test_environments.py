"""Each environment's networking has its designed values (docs/design.md): region, CIDR, AZs, NAT, endpoints."""

from ipaddress import IPv4Network

import pytest

from networking.endpoints import INTERFACE_SERVICES
from shared.environments import ENVIRONMENTS
from tests.networking.common import EXPECTED
from tests.support import layer_of, planned, resources


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_networking_matches_the_environment_table(env):
    expected = EXPECTED[env]
    layer = layer_of(planned(env), "networking")
    out = layer["outputs"]
    assert out["environment"] == env
    assert out["region"] == expected["region"]
    assert out["vpcCidr"] == expected["cidr"]
    assert out["availabilityZones"] == [f"{expected['region']}{c}" for c in "abc"[: expected["azs"]]]
    assert len(out["publicSubnetIds"]) == len(out["privateSubnetIds"]) == expected["azs"]
    assert len(resources(layer, "aws:ec2/natGateway:NatGateway")) == expected["nats"] == len(out["natGatewayIds"])
    interface = [
        r for r in resources(layer, "aws:ec2/vpcEndpoint:VpcEndpoint") if r["inputs"]["vpcEndpointType"] == "Interface"
    ]
    assert len(interface) == len(INTERFACE_SERVICES)
    assert len(resources(layer, "aws:ec2/flowLog:FlowLog")) == 1
    assert all(
        r["provider"] and "pulumi:providers:aws" in r["provider"]
        for r in layer["resources"]
        if r["custom"] and r["type"].startswith("aws:")
    )


def test_environments_never_share_address_space():
    cidrs = [IPv4Network(layer_of(planned(env), "networking")["outputs"]["vpcCidr"]) for env in ENVIRONMENTS]
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])

"""Optional staging <-> prod peering: off by default, requester and accepter sides when enabled."""

from shared.environments import ENVIRONMENTS
from tests.support import layer_of, planned, resources, run_layer

PEERING = {"networking:peering": '{"enabled": true, "role": "requester", "peerEnvironment": "prod"}'}


def test_peering_is_off_by_default():
    for env in ENVIRONMENTS:
        layer = layer_of(planned(env), "networking")
        assert resources(layer, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection") == []
        assert layer["outputs"]["peeringConnectionId"] is None


def test_requester_peers_with_the_other_environments_vpc_and_routes_its_cidr():
    prod = layer_of(planned("prod"), "networking")["outputs"]
    run = run_layer("networking", "staging", PEERING, extra_upstream={"organization/payments-networking/prod": prod})
    (connection,) = resources(run, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert connection["inputs"]["peerVpcId"] == prod["vpcId"]
    assert connection["inputs"]["peerRegion"] == "eu-west-1"
    assert connection["inputs"]["peerOwnerId"] == "123456789012"
    peer_routes = [
        r["inputs"] for r in resources(run, "aws:ec2/route:Route") if "vpcPeeringConnectionId" in r["inputs"]
    ]
    assert len(peer_routes) == 3
    assert {r["destinationCidrBlock"] for r in peer_routes} == {"10.2.0.0/16"}
    assert sorted(r["routeTableId"] for r in peer_routes) == sorted(run.outputs["privateRouteTableIds"])
    assert run.outputs["peeringConnectionId"] == connection["id"]


def test_accepter_accepts_the_requesters_connection():
    staging = {**layer_of(planned("staging"), "networking")["outputs"], "peeringConnectionId": "pcx-0123456789abcdef0"}
    run = run_layer(
        "networking",
        "prod",
        {"networking:peering": '{"enabled": true, "role": "accepter", "peerEnvironment": "staging"}'},
        extra_upstream={"organization/payments-networking/staging": staging},
    )
    (accepter,) = resources(run, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    assert accepter["inputs"]["vpcPeeringConnectionId"] == "pcx-0123456789abcdef0"
    assert accepter["inputs"]["autoAccept"] is True
    routes = [r["inputs"] for r in resources(run, "aws:ec2/route:Route") if "vpcPeeringConnectionId" in r["inputs"]]
    assert {r["destinationCidrBlock"] for r in routes} == {"10.1.0.0/16"}

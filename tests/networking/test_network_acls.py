"""Network ACLs: what each tier admits, and that the plan's flows still pass both stateless directions."""

from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest

from networking.network_acls import EPHEMERAL, REFUSED_PORTS
from shared.environments import ENVIRONMENTS
from tests.support import layer_of, planned, resources

NACL = "aws:ec2/networkAcl:NetworkAcl"
CLIENT, S3_ADDRESS = "203.0.113.10", "52.216.0.10"  # an internet client; an S3 (gateway endpoint) address
EPHEMERAL_PORT = 40000


def _acls(env: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    layer = layer_of(planned(env), "networking")
    acls = {r["urn"].rsplit("-", 1)[-1]: r["inputs"] for r in resources(layer, NACL)}
    return acls["public"], acls["private"], layer["outputs"]


def allowed(rules: list[dict[str, Any]], peer: str, port: int) -> bool:
    """AWS's evaluation: lowest rule number first, first match decides, nothing matched is denied."""
    for rule in sorted(rules, key=lambda r: r["ruleNo"]):
        in_range = rule["protocol"] == "-1" or (rule["protocol"] == "6" and rule["fromPort"] <= port <= rule["toPort"])
        if in_range and IPv4Address(peer) in IPv4Network(rule["cidrBlock"]):
            return rule["action"] == "allow"
    return False


def flows(acl_out: dict[str, Any], acl_in: dict[str, Any], source: str, destination: str, port: int) -> bool:
    """source (behind acl_out) -> destination (behind acl_in) on `port`, and the answer back."""
    there = allowed(acl_out["egress"], destination, port) and allowed(acl_in["ingress"], source, port)
    back = allowed(acl_in["egress"], source, EPHEMERAL_PORT) and allowed(
        acl_out["ingress"], destination, EPHEMERAL_PORT
    )
    return there and back


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_tier_has_its_acl_on_its_subnets(env):
    public, private, outputs = _acls(env)
    assert public["subnetIds"] == outputs["publicSubnetIds"]
    assert private["subnetIds"] == outputs["privateSubnetIds"]
    assert public["vpcId"] == private["vpcId"] == outputs["vpcId"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_public_subnets_admit_only_https_http_and_return_traffic(env):
    public, _, _ = _acls(env)
    assert allowed(public["ingress"], CLIENT, 443) and allowed(public["ingress"], CLIENT, 80)
    assert allowed(public["ingress"], CLIENT, EPHEMERAL_PORT)  # answers to NAT and the ALB's own calls
    below_ephemeral = [port for port in range(1024) if allowed(public["ingress"], CLIENT, port)]
    assert below_ephemeral == [80, 443]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_private_subnets_admit_only_the_vpc_and_return_traffic(env):
    _, private, outputs = _acls(env)
    inside = str(next(IPv4Network(outputs["vpcCidr"]).hosts()))
    for port in (22, 443, 5432, 8080):
        assert not allowed(private["ingress"], CLIENT, port), port
        assert allowed(private["ingress"], inside, port), port
    assert allowed(private["ingress"], CLIENT, EPHEMERAL_PORT)
    allows = [r for r in private["ingress"] if r["action"] == "allow"]
    assert {rule["cidrBlock"] for rule in allows} == {outputs["vpcCidr"], "0.0.0.0/0"}
    assert all(r["protocol"] == "6" and r["fromPort"] == 1024 for r in allows if r["cidrBlock"] == "0.0.0.0/0")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_plans_flows_still_work(env):
    public, private, outputs = _acls(env)
    vpc = IPv4Network(outputs["vpcCidr"])
    alb, web = str(vpc[10]), str(vpc[vpc.num_addresses // 2 + 10])  # a public and a private address
    lambda_, endpoint, proxy = str(vpc[-20]), str(vpc[-30]), str(vpc[-40])
    assert flows({"egress": [], "ingress": []} | _internet(), public, CLIENT, alb, 443)  # client -> ALB
    assert flows(public, private, alb, web, 8080)  # ALB -> web tier (and its health checks)
    assert flows(private, private, lambda_, endpoint, 443)  # Lambda -> interface endpoints
    assert flows(private, private, lambda_, proxy, 5432)  # Lambda -> RDS proxy
    assert flows(private, _internet(), web, S3_ADDRESS, 443)  # web tier -> S3 gateway endpoint (packages)
    assert flows(private, public, web, CLIENT, 443) or outputs["natGatewayIds"] == []  # web -> NAT
    assert not flows(_internet(), private, CLIENT, web, 8080)  # nothing from outside reaches the private tier


def _internet() -> dict[str, Any]:
    everything = [
        {"ruleNo": 100, "action": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0", "fromPort": 0, "toPort": 0}
    ]
    return {"ingress": everything, "egress": everything}


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("tier", ["public", "private"])
def test_both_acls_refuse_remote_desktop_and_the_listener_ports_before_return_traffic(env, tier):
    """Each refused port is denied from anywhere by a rule numbered below the ephemeral-port allow,
    which would otherwise admit it (3389 is checkov's CKV_AWS_231)."""
    public, private, _ = _acls(env)
    ingress = {"public": public, "private": private}[tier]["ingress"]
    ephemeral = next(r for r in ingress if r["action"] == "allow" and r["fromPort"] == EPHEMERAL[0])
    for port in REFUSED_PORTS:
        deny = next(r for r in ingress if r["action"] == "deny" and r["fromPort"] == port == r["toPort"])
        assert deny["cidrBlock"] == "0.0.0.0/0" and deny["ruleNo"] < ephemeral["ruleNo"], port
        assert not allowed(ingress, CLIENT, port), port
    assert 3389 in REFUSED_PORTS

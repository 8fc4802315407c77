"""Least privilege between tiers; nothing but the ALB is reachable from the internet."""

import pytest

from shared.environments import ENVIRONMENTS
from tests.support import layer_of, planned, resources

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def groups_by_role(layer):
    return {r["inputs"]["name"].split("-")[1]: r["id"] for r in resources(layer, "aws:ec2/securityGroup:SecurityGroup")}


def rules(layer, kind, group_id):
    return [r["inputs"] for r in resources(layer, kind) if r["inputs"]["securityGroupId"] == group_id]


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def networking(request):
    return layer_of(planned(request.param), "networking")


def test_six_groups_named_for_their_role(networking):
    assert set(groups_by_role(networking)) == {"lambda", "database", "proxy", "alb", "web", "endpoints"}


def test_only_the_alb_accepts_traffic_from_anywhere_and_only_on_443_and_80(networking):
    open_rules = [r for r in resources(networking, INGRESS) if r["inputs"].get("cidrIpv4") == "0.0.0.0/0"]
    alb = groups_by_role(networking)["alb"]
    assert {r["inputs"]["securityGroupId"] for r in open_rules} == {alb}
    assert sorted(r["inputs"]["fromPort"] for r in open_rules) == [80, 443]
    assert all(r["inputs"]["fromPort"] == r["inputs"]["toPort"] for r in open_rules)


def test_database_is_reachable_only_from_the_proxy_on_5432(networking):
    sg = groups_by_role(networking)
    (ingress,) = rules(networking, INGRESS, sg["database"])
    assert ingress["referencedSecurityGroupId"] == sg["proxy"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["ipProtocol"]) == (5432, 5432, "tcp")
    assert rules(networking, EGRESS, sg["database"]) == []


def test_proxy_accepts_lambdas_and_web_tier_and_talks_only_to_the_database(networking):
    sg = groups_by_role(networking)
    sources = {r["referencedSecurityGroupId"] for r in rules(networking, INGRESS, sg["proxy"])}
    assert sources == {sg["lambda"], sg["web"]}
    (egress,) = rules(networking, EGRESS, sg["proxy"])
    assert egress["referencedSecurityGroupId"] == sg["database"]


def test_lambdas_have_no_internet_egress(networking):
    sg = groups_by_role(networking)
    egress = rules(networking, EGRESS, sg["lambda"])
    assert all("cidrIpv4" not in r for r in egress)
    assert {r["fromPort"] for r in egress} == {443, 5432}
    assert sum(1 for r in egress if "prefixListId" in r) == 2  # S3 and DynamoDB gateway endpoints


def test_web_tier_is_reachable_only_from_the_alb(networking):
    sg = groups_by_role(networking)
    (ingress,) = rules(networking, INGRESS, sg["web"])
    assert ingress["referencedSecurityGroupId"] == sg["alb"]
    assert ingress["fromPort"] == 8080


def test_endpoints_accept_https_from_workloads_only(networking):
    sg = groups_by_role(networking)
    ingress = rules(networking, INGRESS, sg["endpoints"])
    assert {r["referencedSecurityGroupId"] for r in ingress} == {sg["lambda"], sg["web"]}
    assert {r["fromPort"] for r in ingress} == {443}


def test_web_tier_reaches_the_internet_only_where_a_nat_exists(networking):
    web = groups_by_role(networking)["web"]
    internet = [r for r in rules(networking, EGRESS, web) if r.get("cidrIpv4") == "0.0.0.0/0"]
    assert bool(internet) is bool(networking["outputs"]["natGatewayIds"])

"""VPC endpoints: payment traffic to AWS services stays inside the VPC."""

import pytest

from networking.endpoints import GATEWAY_SERVICES, INTERFACE_SERVICES
from shared.environments import ENVIRONMENTS
from tests.support import layer_of, planned, resources

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def plan(request):
    return request.param, layer_of(planned(request.param), "networking")


def test_gateway_endpoints_serve_every_private_route_table(plan):
    _, layer = plan
    region = layer["outputs"]["region"]
    gateways = [r["inputs"] for r in resources(layer, ENDPOINT) if r["inputs"]["vpcEndpointType"] == "Gateway"]
    assert sorted(g["serviceName"] for g in gateways) == sorted(f"com.amazonaws.{region}.{s}" for s in GATEWAY_SERVICES)
    for gateway in gateways:
        assert sorted(gateway["routeTableIds"]) == sorted(layer["outputs"]["privateRouteTableIds"])


def test_interface_endpoints_in_every_private_subnet_with_private_dns(plan):
    _, layer = plan
    region = layer["outputs"]["region"]
    interfaces = [r["inputs"] for r in resources(layer, ENDPOINT) if r["inputs"]["vpcEndpointType"] == "Interface"]
    assert sorted(i["serviceName"] for i in interfaces) == sorted(
        f"com.amazonaws.{region}.{s}" for s in INTERFACE_SERVICES
    )
    endpoint_sg = layer["outputs"]["endpointsSecurityGroupId"]
    for endpoint in interfaces:
        assert endpoint["privateDnsEnabled"] is True
        assert sorted(endpoint["subnetIds"]) == sorted(layer["outputs"]["privateSubnetIds"])
        assert endpoint["securityGroupIds"] == [endpoint_sg]


def test_services_the_lambdas_call_are_all_reachable_privately():
    needed = {"sqs", "sns", "secretsmanager", "kms", "logs", "xray", "ssm", "sts"}
    assert needed <= set(INTERFACE_SERVICES)
    assert {"s3", "dynamodb"} == set(GATEWAY_SERVICES)

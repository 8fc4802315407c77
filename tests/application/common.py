"""Readers for the application-layer tests: the planned layer of one environment, resources by logical name."""

from typing import Any

from tests.support import layer_of, planned, resources

ENVIRONMENTS = ("dev", "staging", "prod")
SUFFIX = {"dev": "d01", "staging": "s01", "prod": "p01"}
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
CERTIFICATE = "aws:acm/certificate:Certificate"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def application(env: str) -> dict[str, Any]:
    return layer_of(planned(env), "application")


def upstream(env: str, layer: str) -> dict[str, Any]:
    outputs: dict[str, Any] = layer_of(planned(env), layer)["outputs"]
    return outputs


def by_name(layer: Any, resource_type: str) -> dict[str, dict[str, Any]]:
    return {r["urn"].split("::")[-1]: r for r in resources(layer, resource_type)}


def named(layer: Any, resource_type: str, logical: str) -> dict[str, Any]:
    found = by_name(layer, resource_type)
    assert logical in found, f"no {resource_type} {logical!r}; have {sorted(found)}"
    return found[logical]

"""The ALB, its listeners, its certificate, the Lambda target behind /api/* and WAF, as planned."""

import json
import re

import pytest

from application.edge import TLS_POLICY
from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from tests.application.common import (
    ATTACHMENT,
    CERTIFICATE,
    EXPECTED,
    FUNCTION,
    LB,
    LISTENER,
    PERMISSION,
    RULE,
    TARGET_GROUP,
    WEB_ACL,
    application,
    by_name,
    named,
    upstream,
)
from tests.support import one, resources, suffix_of


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_alb_is_public_logged_strict_and_deletable(env):
    alb = one(application(env), LB)["inputs"]
    networking, data = upstream(env, "networking"), upstream(env, "data")
    assert alb["name"] == f"alb-{env}-{EXPECTED[env]['suffix']}"
    assert (alb["loadBalancerType"], alb["internal"]) == ("application", False)
    assert alb["subnets"] == networking["publicSubnetIds"]
    assert alb["securityGroups"] == [networking["albSecurityGroupId"]]
    # no prefix: the log bucket's policy allows exactly AWSLogs/<account>/*
    assert alb["accessLogs"] == {"bucket": data["albLogsBucketName"], "enabled": True}
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] == "strictest"
    assert alb["enableDeletionProtection"] is False


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_port_80_only_redirects_and_443_is_tls_12_plus(env):
    layer = application(env)
    http, https = (
        named(layer, LISTENER, "listeners-http")["inputs"],
        named(layer, LISTENER, "listeners-https")["inputs"],
    )
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [
        {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}
    ]
    assert (https["port"], https["protocol"], https["sslPolicy"]) == (443, "HTTPS", TLS_POLICY)
    assert https["certificateArn"] == layer["outputs"]["certificateArn"]
    assert len(resources(layer, LISTENER)) == 2


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_443_forwards_to_both_colours_with_weights_from_config(env):
    layer = application(env)
    (action,) = named(layer, LISTENER, "listeners-https")["inputs"]["defaultActions"]
    groups = by_name(layer, TARGET_GROUP)
    assert action["type"] == "forward"
    assert action["forward"]["targetGroups"] == [
        {"arn": groups["web-targets-blue"]["outputs"]["arn"], "weight": 100},
        {"arn": groups["web-targets-green"]["outputs"]["arn"], "weight": 0},
    ]
    assert action["forward"]["stickiness"] == {"enabled": False, "duration": 1}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_paths_go_to_the_lambda_target_registered_after_its_permission(env):
    layer = application(env)
    target = named(layer, TARGET_GROUP, "alb-api-target")
    inputs = target["inputs"]
    assert inputs["targetType"] == "lambda" and "namePrefix" not in inputs
    assert re.fullmatch(rf"tg-api-{env}-{suffix_of(env)}-[0-9a-f]{{4}}", inputs["name"]) and len(inputs["name"]) <= 32
    assert not {"port", "protocol", "vpcId"} & set(inputs)
    check = inputs["healthCheck"]
    assert check["enabled"] is True and check["path"] == "/api/health" and "protocol" not in check
    function = named(layer, FUNCTION, "alb-api-function")
    assert function["inputs"]["handler"] == "payments.handlers.alb_api.handler"
    assert check["interval"] > function["inputs"]["timeout"]
    rule = one(layer, RULE)["inputs"]
    assert rule["conditions"] == [{"pathPattern": {"values": ["/api/*"]}}]
    assert rule["actions"] == [{"type": "forward", "targetGroupArn": target["outputs"]["arn"]}]
    permission = named(layer, PERMISSION, "alb-api-elb-invoke")
    assert permission["inputs"]["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["inputs"]["sourceArn"] == target["outputs"]["arn"]
    attachment = one(layer, ATTACHMENT)
    assert attachment["inputs"]["targetId"] == function["outputs"]["arn"]
    assert permission["urn"] in attachment["dependencies"]


# (domain name, Route 53 zone) of each environment with a domain; None: the ALB's own name
DOMAINS = {env: EXPECTED[env]["domain"] for env in ENVIRONMENTS}


@pytest.mark.parametrize("env", [env for env, domain in DOMAINS.items() if domain is None])
def test_without_a_domain_a_generated_certificate_for_the_albs_name_is_imported(env):
    layer = application(env)
    cert = one(layer, CERTIFICATE)["inputs"]
    assert "validationMethod" not in cert and {"privateKey", "certificateBody"} <= set(cert)
    generated = one(layer, "tls:index/selfSignedCert:SelfSignedCert")["inputs"]
    assert generated["dnsNames"] == [layer["outputs"]["albDnsName"]]
    assert set(generated["allowedUses"]) >= {"server_auth"}
    assert one(layer, "tls:index/privateKey:PrivateKey")["inputs"]["algorithm"] == "ECDSA"
    assert resources(layer, "aws:route53/record:Record") == []
    assert layer["outputs"]["albUrl"] == f"https://{layer['outputs']['albDnsName']}"


@pytest.mark.parametrize("env", [env for env, domain in DOMAINS.items() if domain is not None])
def test_a_domain_gets_a_dns_validated_acm_certificate(env):
    (domain, zone), layer = EXPECTED[env]["domain"], application(env)
    cert = one(layer, CERTIFICATE)
    assert (cert["inputs"]["domainName"], cert["inputs"]["validationMethod"]) == (domain, "DNS")
    (option,) = cert["outputs"]["domainValidationOptions"]
    record = named(layer, "aws:route53/record:Record", "certificate-validation")["inputs"]
    assert record["zoneId"] == zone
    assert (record["name"], record["type"]) == (option["resourceRecordName"], "CNAME")
    assert record["records"] == [option["resourceRecordValue"]]
    validation = one(layer, "aws:acm/certificateValidation:CertificateValidation")
    assert validation["inputs"]["certificateArn"] == cert["outputs"]["arn"]
    assert layer["outputs"]["albUrl"] == f"https://{domain}"
    assert resources(layer, "tls:index/selfSignedCert:SelfSignedCert") == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_waf_where_configured_with_managed_rules_a_rate_limit_and_encrypted_logs(env):
    layer, enabled = application(env), EXPECTED[env]["waf"]
    acls = resources(layer, WEB_ACL)
    if not enabled:
        assert acls == [] and layer["outputs"]["wafWebAclArn"] is None
        return
    (acl,) = acls
    rules = {r["name"]: r for r in acl["inputs"]["rules"]}
    groups = {r["statement"]["managedRuleGroupStatement"]["name"] for r in rules.values() if "overrideAction" in r}
    assert groups == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    }
    rate = rules["rate-limit-per-ip"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert acl["inputs"]["scope"] == "REGIONAL" and acl["inputs"]["defaultAction"] == {"allow": {}}
    associations = by_name(layer, "aws:wafv2/webAclAssociation:WebAclAssociation")
    association = associations["waf-alb"]["inputs"]
    assert association["resourceArn"] == layer["outputs"]["albArn"]
    stage = one(layer, "aws:apigateway/stage:Stage")
    assert associations["waf-api-stage"]["inputs"]["resourceArn"] == stage["outputs"]["arn"]
    assert layer["outputs"]["wafWebAclArn"] == acl["outputs"]["arn"]
    logging = one(layer, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")["inputs"]
    group = named(layer, "aws:cloudwatch/logGroup:LogGroup", "waf-logs")
    assert group["inputs"]["name"].startswith("aws-waf-logs-")
    assert group["inputs"]["kmsKeyId"] == upstream(env, "data")["kmsKeyArn"]
    assert logging["logDestinationConfigs"] == [group["outputs"]["arn"]]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_contract_exports(env):
    outputs = application(env)["outputs"]
    assert outputs["albArnSuffix"].startswith(f"app/alb-{env}-{EXPECTED[env]['suffix']}/")
    assert outputs["webActiveColor"] == "blue"
    assert set(outputs["webTargetGroupArnSuffixes"]) == set(outputs["webAutoScalingGroupNames"]) == {"blue", "green"}
    assert outputs["lambdaTargetGroupArnSuffix"].startswith(f"targetgroup/tg-api-{env}-{suffix_of(env)}-")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_with_a_domain_the_alb_url_resolves_through_an_alias_record(env):
    layer = application(env)
    domain = json.loads(read_layer_config("application", env)["application:domain"])
    aliases = [r for r in resources(layer, "aws:route53/record:Record") if r["inputs"].get("aliases")]
    if not domain:
        assert aliases == []  # dev: the generated certificate names the ALB's own DNS name
        assert layer["outputs"]["albUrl"] == f"https://{layer['outputs']['albDnsName']}"
        return
    alb = one(layer, "aws:lb/loadBalancer:LoadBalancer")["outputs"]
    (record,) = aliases
    assert (record["inputs"]["zoneId"], record["inputs"]["name"], record["inputs"]["type"]) == (
        domain["hostedZoneId"],
        domain["name"],
        "A",
    )
    assert record["inputs"]["aliases"] == [
        {"name": alb["dnsName"], "zoneId": alb["zoneId"], "evaluateTargetHealth": True}
    ]
    assert layer["outputs"]["albUrl"] == f"https://{domain['name']}"

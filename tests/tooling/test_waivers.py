"""Every waiver in policy/waivers.yaml states a fact about the plans: each fact a plan can show is checked
here, against the plans themselves, so a waiver whose reason stops being true fails."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS
from shared.stack_files import read_layer_config
from tests.support import layer_of, planned
from tooling.checks.scan.findings import Waiver, load_waivers


def of_type(env: str, token: str) -> list[dict[str, Any]]:
    return [r for layer in planned(env)["layers"] for r in layer["resources"] if r["type"] == token]


def named(env: str, token: str, suffix: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(env, token) if r["urn"].endswith(f"::{suffix}")]
    return found


def config(layer: str, env: str, key: str) -> Any:
    return json.loads(read_layer_config(layer, env)[key])


def statements(document: str) -> list[dict[str, Any]]:
    return list(json.loads(document)["Statement"])


def _log_retention(env: str) -> None:  # CKV_AWS_338, dev and staging
    assert config("networking", env, "platform:logRetentionDays") < 365
    days = {g["inputs"]["retentionInDays"] for g in of_type(env, "aws:cloudwatch/logGroup:LogGroup")}
    assert min(days) < 365


def _pitr(env: str) -> None:  # CKV_AWS_28, dev
    assert config("data", env, "data:pointInTimeRecovery") is (env != "dev")


def _multi_az(env: str) -> None:  # CKV_AWS_157, dev
    assert config("data", env, "data:multiAz") is (env != "dev")


def _waf(env: str) -> None:  # CKV2_AWS_28 / 29, dev
    associations = of_type(env, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert config("application", env, "application:waf") is bool(associations)
    assert len(associations) == (0 if env == "dev" else 2)  # the ALB and the API stage


def _alb_deletion_protection(env: str) -> None:  # CKV_AWS_150
    assert named(env, "aws:lb/loadBalancer:LoadBalancer", "alb-lb")["inputs"]["enableDeletionProtection"] is False


def _database_unprotected(env: str) -> None:  # CKV_AWS_293, dev and staging
    database = named(env, "aws:rds/instance:Instance", "database-instance")
    assert config("data", env, "data:protectDataStores") is database["protect"]
    assert database["inputs"]["deletionProtection"] is database["protect"]


def _log_delivery_targets(env: str) -> None:  # CKV_AWS_145 on the ALB-log and access-log buckets
    data = layer_of(planned(env), "data")["outputs"]
    alb = named(env, "aws:lb/loadBalancer:LoadBalancer", "alb-lb")["inputs"]["accessLogs"]
    assert alb == {"bucket": data["albLogsBucketName"], "enabled": True}
    targets = {r["inputs"]["targetBucket"] for r in of_type(env, "aws:s3/bucketLogging:BucketLogging")}
    assert targets == {data["accessLogsBucketName"]}
    for prefix in ("alb-logs", "access-logs"):
        (rule,) = named(env, BUCKET_ENCRYPTION, f"{prefix}-encryption")["inputs"]["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _http_redirects_only(env: str) -> None:  # CKV_AWS_260
    ingress = of_type(env, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    open_80 = [r for r in ingress if r["inputs"].get("fromPort") == 80 and r["inputs"].get("cidrIpv4") == "0.0.0.0/0"]
    assert [r["urn"].rsplit("::", 1)[-1] for r in open_80] == ["security-groups-alb-http-redirect"]
    (action,) = named(env, "aws:lb/listener:Listener", "listeners-http")["inputs"]["defaultActions"]
    assert action["type"] == "redirect" and action["redirect"]["protocol"] == "HTTPS"


ENI_AND_TRACING = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}


def _star_only_where_iam_allows_nothing_else(env: str) -> None:  # CKV_AWS_290 / 355 on the functions' roles
    for policy in of_type(env, "aws:iam/rolePolicy:RolePolicy"):
        if not policy["urn"].endswith("-role-policy") or "::web-role-policy" in policy["urn"]:
            continue
        for statement in statements(policy["inputs"]["policy"]):
            if statement.get("Resource") == "*" and "Condition" not in statement:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert set(actions) <= ENI_AND_TRACING, (policy["urn"], actions)


def _proxy_group_on_the_proxy(env: str) -> None:  # CKV2_AWS_5
    networking = layer_of(planned(env), "networking")["outputs"]
    proxy = named(env, "aws:rds/proxy:Proxy", "db-proxy-proxy")["inputs"]
    assert proxy["vpcSecurityGroupIds"] == [networking["proxySecurityGroupId"]]


def _known_bad_inputs(env: str) -> None:  # CKV2_AWS_76 / 77, staging and prod
    (acl,) = of_type(env, "aws:wafv2/webAcl:WebAcl")
    groups = [r["statement"].get("managedRuleGroupStatement", {}).get("name") for r in acl["inputs"]["rules"]]
    assert "AWSManagedRulesKnownBadInputsRuleSet" in groups and "AWSManagedRulesAnonymousIpList" not in groups


def _lambda_proxy_integrations_only(env: str) -> None:  # CKV2_AWS_51
    integrations = of_type(env, "aws:apigateway/integration:Integration")
    assert integrations and {i["inputs"]["type"] for i in integrations} == {"AWS_PROXY"}


def _no_cache(env: str) -> None:  # CKV_AWS_120 / 225
    stage = named(env, "aws:apigateway/stage:Stage", "api-stage")["inputs"]
    assert not stage.get("cacheClusterEnabled")
    for settings in of_type(env, "aws:apigateway/methodSettings:MethodSettings"):
        assert not settings["inputs"]["settings"].get("cachingEnabled")


def _artifact_hash(env: str) -> None:  # CKV_AWS_272
    artifact = layer_of(planned(env), "application")["outputs"]["artifactSha256"]
    functions = of_type(env, "aws:lambda/function:Function")
    assert len(artifact) == 64 and all(f["inputs"].get("sourceCodeHash") for f in functions)


def _no_notifications(env: str) -> None:  # CKV2_AWS_62
    assert of_type(env, "aws:s3/bucketNotification:BucketNotification") == []


def _no_replication(env: str) -> None:  # CKV_AWS_144
    assert "data:dr" not in read_layer_config("data", env)  # the default: off
    assert of_type(env, "aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []


def _trail_reviewed(env: str) -> None:  # CKV_AWS_252
    (trail,) = of_type(env, "aws:cloudtrail/trail:Trail")
    group = trail["inputs"]["cloudWatchLogsGroupArn"].removesuffix(":*").rsplit(":", 1)[-1]
    filters = of_type(env, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert filters and {f["inputs"]["logGroupName"] for f in filters} == {group}


def _audit_key_condition(env: str) -> None:  # parliament MISMATCHED_TYPE_BUT_USABLE on the audit bucket policy
    policy = named(env, "aws:s3/bucketPolicy:BucketPolicy", "audit-policy")["inputs"]["policy"]
    (deny,) = [s for s in statements(policy) if s["Sid"] == "DenyOtherKmsKey"]
    key = layer_of(planned(env), "data")["outputs"]["kmsKeyArn"]
    assert deny["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption-aws-kms-key-id": key}


def _trust_policies_have_no_resource(env: str) -> None:  # parliament MALFORMED on trust policies
    for role in of_type(env, "aws:iam/role:Role"):
        assert all("Resource" not in s for s in statements(role["inputs"]["assumeRolePolicy"]))


# (scanner, id, first resource pattern) -> the fact behind the reason
FACTS: dict[tuple[str, str, str], Callable[[str], None]] = {
    ("checkov", "CKV_AWS_338", "aws_cloudwatch_log_group.*"): _log_retention,
    ("checkov", "CKV_AWS_28", "aws_dynamodb_table.*"): _pitr,
    ("checkov", "CKV_AWS_157", "aws_db_instance.database_instance"): _multi_az,
    ("checkov", "CKV2_AWS_28", "aws_lb.alb_lb"): _waf,
    ("checkov", "CKV2_AWS_29", "aws_api_gateway_stage.api_stage"): _waf,
    ("checkov", "CKV_AWS_150", "aws_lb.alb_lb"): _alb_deletion_protection,
    ("checkov", "CKV_AWS_293", "aws_db_instance.database_instance"): _database_unprotected,
    ("checkov", "CKV_AWS_145", "aws_s3_bucket.alb_logs_bucket"): _log_delivery_targets,
    ("checkov", "CKV_AWS_145", "aws_s3_bucket.access_logs_bucket"): _log_delivery_targets,
    ("checkov", "CKV_AWS_260", "aws_vpc_security_group_ingress_rule.security_groups_alb_http_redirect"): (
        _http_redirects_only
    ),
    ("checkov", "CKV_AWS_290", "aws_iam_role_policy.*_role_policy"): _star_only_where_iam_allows_nothing_else,
    ("checkov", "CKV_AWS_355", "aws_iam_role_policy.*_role_policy"): _star_only_where_iam_allows_nothing_else,
    ("checkov", "CKV2_AWS_5", "aws_security_group.security_groups_proxy"): _proxy_group_on_the_proxy,
    ("checkov", "CKV2_AWS_76", "aws_lb.alb_lb"): _known_bad_inputs,
    ("checkov", "CKV2_AWS_77", "aws_api_gateway_stage.api_stage"): _known_bad_inputs,
    ("checkov", "CKV2_AWS_51", "aws_api_gateway_stage.api_stage"): _lambda_proxy_integrations_only,
    ("checkov", "CKV_AWS_120", "aws_api_gateway_stage.api_stage"): _no_cache,
    ("checkov", "CKV_AWS_225", "aws_api_gateway_method_settings.api_method_settings"): _no_cache,
    ("checkov", "CKV_AWS_272", "aws_lambda_function.*_function"): _artifact_hash,
    ("checkov", "CKV2_AWS_62", "aws_s3_bucket.audit_bucket"): _no_notifications,
    ("checkov", "CKV_AWS_144", "aws_s3_bucket.audit_bucket"): _no_replication,
    ("checkov", "CKV_AWS_252", "aws_cloudtrail.audit_trail_trail"): _trail_reviewed,
    ("parliament", "MISMATCHED_TYPE_BUT_USABLE", "aws_s3_bucket_policy.audit_policy.policy"): _audit_key_condition,
    ("parliament", "MALFORMED", "aws_iam_role.*.assume_role_policy"): _trust_policies_have_no_resource,
}
# Reasons about AWS's or a linter's grammar, not about the plan: nothing in a plan can show them.
GRAMMAR = {
    ("parliament", "RESOURCE_STAR", "aws_kms_key.*.policy"),
    ("parliament", "UNKNOWN_CONDITION_FOR_ACTION", "aws_kms_key.*.policy"),
    ("parliament", "MISMATCHED_TYPE", "aws_kms_key.*.policy"),
    ("parliament", "RESOURCE_STAR", "aws_iam_role_policy.*_role_policy.policy"),
    ("parliament", "RESOURCE_MISMATCH", "aws_iam_role_policy.api_account_role_policy.policy"),
}


def _key(waiver: Waiver) -> tuple[str, str, str]:
    return (waiver.scanner, waiver.check, waiver.resources[0])


def test_every_waiver_has_its_fact_checked_or_is_about_grammar():
    keys = [_key(w) for w in load_waivers()]
    assert [k for k in keys if k not in FACTS and k not in GRAMMAR] == []
    assert sorted(set(FACTS) | GRAMMAR) == sorted(set(keys))  # no fact left for a waiver that is gone


@pytest.mark.parametrize("waiver", load_waivers(), ids=lambda w: f"{w.scanner} {w.check} {w.resources[0]}")
def test_the_fact_behind_each_waiver_holds_where_it_waives(waiver: Waiver):
    fact = FACTS.get(_key(waiver))
    if fact is None:
        assert _key(waiver) in GRAMMAR
        return
    for env in waiver.environments:
        assert env in ENVIRONMENTS
        fact(env)

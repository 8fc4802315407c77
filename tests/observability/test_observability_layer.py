"""The observability layer of every environment, as `make plan` declares it: every alarm with its
per-environment threshold and both actions on the alarm topic, the composite, the dashboard, tracing,
the trail; the AWS metrics with their services' namespaces and dimensions."""

import json
import re
from typing import Any

import pytest

from observability.database_alarms import GB
from payments import metric_names
from shared.contracts import EDGE_METRIC_KEYS
from shared.environments import ENVIRONMENTS
from shared.errors import PlatformConfigError
from shared.functions import FUNCTIONS
from shared.projects import qualified_stack_name
from shared.stack_files import DEFAULT_ORG, read_layer_config
from tests.observability.common import (
    ALARM,
    ALARM_RECIPIENTS,
    COMPOSITE,
    THRESHOLDS,
    TOPIC,
    alarms,
    dashboard_body,
    metric_reads,
    observability,
    upstream,
)
from tests.support import layer_of, one, planned, resources, run_layer, suffix_of

ACCOUNT = "123456789012"
WATCHED = [function for function in FUNCTIONS if function.alarms]


def _alarm(env: str, alarm_type: str) -> dict:
    return alarms(observability(env))[f"{alarm_type}-{env}-{suffix_of(env)}"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_alarm_sends_alarm_and_ok_to_the_encrypted_alarm_topic(env):
    layer = observability(env)
    topic = one(layer, TOPIC)
    assert topic["inputs"]["kmsMasterKeyId"] == upstream(env, "data")["kmsKeyArn"]
    arn = layer["outputs"]["alarmTopicArn"]
    assert arn == topic["outputs"]["arn"]
    every = [a["inputs"] for a in resources(layer, ALARM) + resources(layer, COMPOSITE)]
    assert len(every) == len(layer["outputs"]["alarmNames"]) + 1
    for alarm in every:
        assert alarm["alarmActions"] == [arn] and alarm["okActions"] == [arn], alarm.get("name")
        assert alarm["actionsEnabled"] is True
    metric_alarms = [a["inputs"] for a in resources(layer, ALARM)]
    assert all(a["treatMissingData"] in ("notBreaching", "breaching") for a in metric_alarms)
    assert sorted(a["name"] for a in metric_alarms) == sorted(layer["outputs"]["alarmNames"].values())


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_topic_policy_lets_only_cloudwatch_alarms_of_this_account_publish(env):
    layer = observability(env)
    (policy,) = resources(layer, "aws:sns/topicPolicy:TopicPolicy")
    (statement,) = json.loads(policy["inputs"]["policy"])["Statement"]
    region = upstream(env, "data")["region"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish" and statement["Effect"] == "Allow"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*"},
    }
    subscriptions = resources(layer, "aws:sns/topicSubscription:TopicSubscription")
    assert [(s["inputs"]["protocol"], s["inputs"]["endpoint"]) for s in subscriptions] == [
        ("email", ALARM_RECIPIENTS[env])
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_lambda_alarms_per_function(env):
    app = upstream(env, "application")
    for prefix, key in ((function.name, function.key) for function in WATCHED):
        errors = _alarm(env, f"{prefix}-errors")
        assert (errors["namespace"], errors["metricName"]) == ("AWS/Lambda", "Errors")
        assert errors["dimensions"] == {"FunctionName": app[f"{key}FunctionName"]}
        # the platform's rule: errors >= 5 in 5 minutes
        assert (errors["statistic"], errors["period"], errors["evaluationPeriods"]) == ("Sum", 300, 1)
        assert (errors["threshold"], errors["comparisonOperator"]) == (5, "GreaterThanOrEqualToThreshold")
        assert errors["treatMissingData"] == "notBreaching"
        throttles = _alarm(env, f"{prefix}-throttles")
        assert throttles["metricName"] == "Throttles" and throttles["threshold"] == THRESHOLDS[env]["throttles"]
        duration = _alarm(env, f"{prefix}-duration")
        assert duration["metricName"] == "Duration" and duration["extendedStatistic"] == "p99"
        assert "statistic" not in duration
        assert duration["threshold"] == app["functionTimeouts"][key] * 1000 * 0.8


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_settlement_alarms(env):
    app = upstream(env, "application")
    failed = _alarm(env, "settlement-failed")
    assert (failed["namespace"], failed["metricName"]) == (metric_names.NAMESPACE, metric_names.SETTLEMENT_FAILED)
    assert failed["dimensions"] == {metric_names.SERVICE_DIMENSION: app["metricsServiceName"]}
    assert failed["threshold"] == THRESHOLDS[env]["settlement"]
    dlq = _alarm(env, "payment-dlq-depth")
    assert dlq["dimensions"] == {"QueueName": app["paymentDlqName"]}
    assert (dlq["metricName"], dlq["threshold"]) == ("ApproximateNumberOfMessagesVisible", THRESHOLDS[env]["dlq"])
    age = _alarm(env, "payment-queue-age")
    assert age["dimensions"] == {"QueueName": app["paymentQueueName"]}
    assert (age["metricName"], age["threshold"]) == ("ApproximateAgeOfOldestMessage", THRESHOLDS[env]["age"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_database_alarms_on_the_instance(env):
    data = upstream(env, "data")
    assert data["databaseEngine"] == "postgres"
    dimensions = {"DBInstanceIdentifier": data["databaseIdentifier"]}
    cpu = _alarm(env, "database-cpu")
    assert (cpu["metricName"], cpu["dimensions"], cpu["threshold"]) == (
        "CPUUtilization",
        dimensions,
        THRESHOLDS[env]["cpu"],
    )
    assert cpu["treatMissingData"] == "breaching"
    connections = _alarm(env, "database-connections")
    assert connections["threshold"] == THRESHOLDS[env]["connections"] and connections["dimensions"] == dimensions
    storage = _alarm(env, "database-headroom")
    assert (storage["metricName"], storage["comparisonOperator"]) == ("FreeStorageSpace", "LessThanThreshold")
    assert storage["threshold"] == THRESHOLDS[env]["storage_gb"] * GB and storage["dimensions"] == dimensions


def test_database_alarms_follow_an_aurora_cluster():
    data = {**upstream("staging", "data"), "databaseEngine": "aurora-postgresql", "databaseIdentifier": "aurora-x"}
    run = run_layer(
        "observability", "staging", extra_upstream={qualified_stack_name(DEFAULT_ORG, "data", "staging"): data}
    )
    by_name = {a["inputs"]["name"]: a["inputs"] for a in resources(run, ALARM)}
    for alarm_type in ("database-cpu", "database-connections", "database-headroom"):
        assert by_name[f"{alarm_type}-staging-s01"]["dimensions"] == {"DBClusterIdentifier": "aurora-x"}
    headroom = by_name["database-headroom-staging-s01"]
    assert (headroom["metricName"], headroom["comparisonOperator"]) == (
        "ACUUtilization",
        "GreaterThanOrEqualToThreshold",
    )
    assert headroom["threshold"] == 90
    assert len(by_name) == len(alarms(observability("staging"))), "switching engines changes no alarm count"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_alarms_are_rates_and_latency_by_api_name_and_stage(env):
    app = upstream(env, "application")
    dimensions = {"ApiName": app["apiName"], "Stage": app["apiStageName"]}
    for alarm_type, metric, key in (("api-4xx-rate", "4XXError", "4xx"), ("api-5xx-rate", "5XXError", "5xx")):
        alarm = _alarm(env, alarm_type)
        assert "metricName" not in alarm and alarm["threshold"] == THRESHOLDS[env][key]
        queries = {q["id"]: q for q in alarm["metricQueries"]}
        assert queries["result"]["expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
        assert queries["result"]["returnData"] is True
        assert queries["errors"]["metric"]["metricName"] == metric
        assert queries["requests"]["metric"]["metricName"] == "Count"
        for query in ("errors", "requests"):
            assert queries[query]["metric"]["namespace"] == "AWS/ApiGateway"
            assert queries[query]["metric"]["dimensions"] == dimensions
            assert queries[query]["returnData"] is False
    latency = _alarm(env, "api-latency")
    assert latency["dimensions"] == dimensions and latency["threshold"] == THRESHOLDS[env]["latency"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_payments_degraded_composite_covers_the_critical_alarms(env):
    layer = observability(env)
    composite = one(layer, COMPOSITE)["inputs"]
    assert (
        composite["alarmName"] == layer["outputs"]["compositeAlarmName"] == f"payments-degraded-{env}-{suffix_of(env)}"
    )
    names = layer["outputs"]["alarmNames"]
    critical = [
        *(f"{function.key}Errors" for function in WATCHED),
        "settlementFailed",
        "paymentDlqDepth",
        "paymentQueueAge",
        "databaseCpu",
        "databaseHeadroom",
        "apiServerErrorRate",
        "albServerErrors",
        "webInService",
    ]
    assert composite["alarmRule"] == " OR ".join(f'ALARM("{names[key]}")' for key in critical)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_aws_metrics_use_their_services_namespaces_and_dimensions(env):
    app, data = upstream(env, "application"), upstream(env, "data")
    functions = {app[f"{function.key}FunctionName"] for function in WATCHED}
    target_groups = set(app["webTargetGroupArnSuffixes"].values())
    groups = set(app["webAutoScalingGroupNames"].values())
    assert target_groups and groups
    expected = {
        "AWS/Lambda": lambda d: set(d) == {"FunctionName"} and d["FunctionName"] in functions,
        "AWS/SQS": lambda d: (
            d in [{"QueueName": app[q]} for q in ("paymentQueueName", "paymentDlqName", "lambdaDlqName")]
        ),
        "AWS/RDS": lambda d: d == {"DBInstanceIdentifier": data["databaseIdentifier"]},
        "AWS/ApiGateway": lambda d: d == {"ApiName": app["apiName"], "Stage": app["apiStageName"]},
        metric_names.NAMESPACE: lambda d: d == {metric_names.SERVICE_DIMENSION: app["metricsServiceName"]},
        "AWS/ApplicationELB": lambda d: (
            d == {"LoadBalancer": app["albArnSuffix"]}
            or d == {"LoadBalancer": app["albArnSuffix"], "TargetGroup": app["lambdaTargetGroupArnSuffix"]}
            or (set(d) == {"LoadBalancer", "TargetGroup"} and d["TargetGroup"] in target_groups)
        ),
        "AWS/AutoScaling": lambda d: d in [{"AutoScalingGroupName": g} for g in groups],
        # the trail's metric filters count events: no dimensions, a namespace of the environment's own
        f"AuditTrail/{env}-{suffix_of(env)}": lambda d: d == {},
    }
    reads = metric_reads(observability(env))
    assert {namespace for namespace, *_ in reads} == set(expected)
    for namespace, metric, dimensions, where in reads:
        assert expected[namespace](dimensions), f"{where}: {namespace} {metric} with {dimensions}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_dashboard_body_is_json_with_the_latency_widget_first(env):
    layer = observability(env)
    body = dashboard_body(layer)
    region = upstream(env, "data")["region"]
    assert layer["outputs"]["dashboardName"] == f"payments-{env}-{suffix_of(env)}"
    assert layer["outputs"]["dashboardUrl"] == (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/payments-{env}-{suffix_of(env)}"
    )
    charts = [w for w in body["widgets"] if w["type"] == "metric"]
    assert all(w["properties"]["region"] == region for w in charts)
    latency = charts[0]["properties"]
    assert latency["title"].startswith("Transaction latency")
    service = upstream(env, "application")["metricsServiceName"]
    assert [row[-1]["stat"] for row in latency["metrics"]] == ["p50", "p90", "p99"]
    assert {tuple(row[:4]) for row in latency["metrics"]} == {
        (metric_names.NAMESPACE, metric_names.TRANSACTION_LATENCY, metric_names.SERVICE_DIMENSION, service)
    }
    titles = " | ".join(w["properties"]["title"] for w in charts)
    for topic in ("accepted and settled per minute", "Failures", "queue", "Database", "API"):
        assert topic in titles
    (status,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    composite = one(layer, COMPOSITE)["outputs"]["arn"]
    assert status["properties"]["alarms"][0] == composite


_SERVICE_TERM = re.compile(r'service\(id\(name: "([^"]+)", type: "([^"]+)"\)\)')


def _emitted_segments(env: str) -> set[tuple[str, str]]:
    """(name, type) of the X-Ray segments AWS writes for the application's traced payment path: API Gateway
    for the stage (X-Ray tracing on), Lambda for each payment function (active tracing)."""
    application = layer_of(planned(env), "application")
    outputs = application["outputs"]
    (stage,) = resources(application, "aws:apigateway/stage:Stage")
    assert stage["inputs"]["xrayTracingEnabled"] is True
    segments = {(f"{outputs['apiName']}/{outputs['apiStageName']}", "AWS::ApiGateway::Stage")}
    traced = {
        function["inputs"]["name"]
        for function in resources(application, "aws:lambda/function:Function")
        if function["inputs"]["tracingConfig"] == {"mode": "Active"}
    }
    for function in WATCHED:
        name = outputs[f"{function.key}FunctionName"]
        assert name in traced, function.name
        segments.add((name, "AWS::Lambda::Function"))
    return segments


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_xray_group_and_sampling_rule_match_the_segments_aws_writes(env):
    """No tracing SDK in the functions: the group selects by the segments API Gateway and Lambda write."""
    layer = observability(env)
    group = one(layer, "aws:xray/group:Group")["inputs"]
    assert group["groupName"] == layer["outputs"]["xrayGroupName"] == f"payments-{env}-{suffix_of(env)}"
    terms = [_SERVICE_TERM.fullmatch(term) for term in group["filterExpression"].split(" OR ")]
    assert all(terms), f"service(id(...)) terms joined by OR: {group['filterExpression']}"
    selected = {term.groups() for term in terms if term}
    assert selected == _emitted_segments(env)
    rule = one(layer, "aws:xray/samplingRule:SamplingRule")["inputs"]
    assert rule["ruleName"] == layer["outputs"]["samplingRuleName"]
    assert rule["fixedRate"] == THRESHOLDS[env]["sampling"] and rule["reservoirSize"] == 1
    ((api_stage, stage_type),) = [segment for segment in selected if segment[1] == "AWS::ApiGateway::Stage"]
    assert (rule["serviceName"], rule["serviceType"]) == (api_stage, stage_type)
    assert rule["priority"] < 10000  # ahead of AWS's default rule


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_trail_validates_encrypts_and_records_the_audit_bucket(env):
    layer = observability(env)
    data = upstream(env, "data")
    trail = one(layer, "aws:cloudtrail/trail:Trail")
    inputs = trail["inputs"]
    assert trail["outputs"]["arn"] == layer["outputs"]["trailArn"]
    assert inputs["enableLogFileValidation"] is True and inputs["isMultiRegionTrail"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    key = one(layer, "aws:kms/key:Key")
    assert inputs["kmsKeyId"] == key["outputs"]["arn"] and key["inputs"]["enableKeyRotation"] is True
    selectors = {s["name"]: s["fieldSelectors"] for s in inputs["advancedEventSelectors"]}
    assert selectors["Management events"] == [{"field": "eventCategory", "equals": ["Management"]}]
    assert selectors["Audit bucket object reads and writes"] == [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
        {"field": "resources.ARN", "startsWiths": [f"{data['auditBucketArn']}/"]},
    ]  # no readOnly selector: reads and writes
    # the key: CloudTrail encrypts for this trail only
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    encrypt = statements["CloudTrailEncryptsThisTrail"]
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": layer["outputs"]["trailArn"]}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
    }
    # the bucket: private baseline, teardown, retention of the environment's logs, CloudTrail may write
    bucket = one(layer, "aws:s3/bucket:Bucket")["inputs"]
    protected = read_layer_config("observability", env)["observability:protectAuditTrail"] == "true"
    assert bucket["bucket"] == layer["outputs"]["trailBucketName"] and bucket["forceDestroy"] is not protected
    (lifecycle,) = resources(layer, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    retention = next(r for r in lifecycle["inputs"]["rules"] if r["id"] == "trail-retention")
    days = int(read_layer_config("observability", env)["observability:trailRetentionDays"])
    assert retention["expiration"] == {"days": days}
    assert retention["noncurrentVersionExpiration"] == {"noncurrentDays": days}
    (policy,) = resources(layer, "aws:s3/bucketPolicy:BucketPolicy")
    bucket_statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    write = bucket_statements["CloudTrailWritesThisTrail"]
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == layer["outputs"]["trailArn"]
    assert write["Resource"].endswith(f"/AWSLogs/{ACCOUNT}/*")
    assert "DenyInsecureTransport" in bucket_statements
    assert one(layer, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]["restrictPublicBuckets"]


# --- the edge: the ALB, its target groups and the web tier's Auto Scaling groups ---


@pytest.fixture(scope="module")
def with_edge():
    return observability("staging")


def _edge() -> dict[str, Any]:
    app = upstream("staging", "application")
    return {key: app[key] for key in EDGE_METRIC_KEYS}


def test_edge_alarms_use_the_alb_target_group_and_auto_scaling_dimensions(with_edge):
    by_name = {a["inputs"]["name"]: a["inputs"] for a in resources(with_edge, ALARM)}
    edge = _edge()
    alb = {"LoadBalancer": edge["albArnSuffix"]}
    server = by_name["alb-5xx-staging-s01"]
    assert server["threshold"] == THRESHOLDS["staging"]["alb5xx"]
    queries = {q["id"]: q for q in server["metricQueries"]}
    assert queries["result"]["expression"] == "FILL(elb, 0) + FILL(target, 0)"
    assert {queries[i]["metric"]["metricName"] for i in ("elb", "target")} == {
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
    }
    assert all(queries[i]["metric"]["dimensions"] == alb for i in ("elb", "target"))
    suffixes = {**edge["webTargetGroupArnSuffixes"], "api": edge["lambdaTargetGroupArnSuffix"]}
    for target, suffix in suffixes.items():
        unhealthy = by_name[f"alb-{target}-unhealthy-staging-s01"]
        assert unhealthy["metricName"] == "UnHealthyHostCount"
        assert unhealthy["dimensions"] == {**alb, "TargetGroup": suffix}
    response = by_name["alb-target-response-time-staging-s01"]
    assert (response["extendedStatistic"], response["dimensions"]) == ("p99", alb)
    assert response["threshold"] == THRESHOLDS["staging"]["trt"]
    in_service = by_name["web-in-service-staging-s01"]
    assert in_service["treatMissingData"] == "breaching" and in_service["comparisonOperator"] == "LessThanThreshold"
    groups = {q["metric"]["dimensions"]["AutoScalingGroupName"] for q in in_service["metricQueries"] if "metric" in q}
    assert groups == set(edge["webAutoScalingGroupNames"].values())
    topic = with_edge["outputs"]["alarmTopicArn"]
    assert all(a["alarmActions"] == [topic] == a["okActions"] for a in by_name.values())
    composite = one(with_edge, COMPOSITE)["inputs"]["alarmRule"]
    assert 'ALARM("alb-5xx-staging-s01")' in composite and 'ALARM("web-in-service-staging-s01")' in composite
    assert {"albServerErrors", "blueUnhealthyHosts", "greenUnhealthyHosts", "apiUnhealthyHosts", "webInService"} <= set(
        with_edge["outputs"]["alarmNames"]
    )


def test_edge_widgets_join_the_dashboard(with_edge):
    body = dashboard_body(with_edge)
    titles = [w["properties"]["title"] for w in body["widgets"] if w["type"] == "metric"]
    assert "ALB: 5XX and target response time" in titles
    assert "Web tier: healthy targets and instances in service" in titles
    reads = metric_reads(with_edge)
    for namespace, _metric, dimensions, where in reads:
        if namespace == "AWS/ApplicationELB":
            assert dimensions["LoadBalancer"] == _edge()["albArnSuffix"], where
            assert set(dimensions) <= {"LoadBalancer", "TargetGroup"}
        if namespace == "AWS/AutoScaling":
            assert set(dimensions) == {"AutoScalingGroupName"}, where


@pytest.mark.parametrize(
    ("emails", "message"),
    [
        (["oncall at example"], r"observability:alarmEmails\.0: 'oncall at example' is not an email address"),
        (
            ["oncall@example.com", "oncall@example.com"],
            "observability:alarmEmails: listed more than once: oncall@example.com",
        ),
    ],
)
def test_alarm_recipients_are_email_addresses_each_listed_once(emails, message):
    with pytest.raises(PlatformConfigError, match=message):
        run_layer("observability", ENVIRONMENTS[0], {"observability:alarmEmails": json.dumps(emails)})

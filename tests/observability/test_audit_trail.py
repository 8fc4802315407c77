"""The audit trail reviewed automatically, protected where the data stores are, access-logged, and kept
at least 90 days (a year in prod)."""

import json

import pytest

from observability.trail_alarms import CIS_CHECKS
from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO, read_stack_file
from tests.observability.common import ALARM, observability, upstream
from tests.support import one, resources

ACCOUNT = "123456789012"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
# One event each CIS item must catch (Security Hub CloudWatch.1 to .14, CIS 4.15).
CIS_EVENTS = {
    "trailRootUse": '"Root"',
    "trailUnauthorizedApiCalls": "UnauthorizedOperation",
    "trailConsoleSignInWithoutMfa": "MFAUsed",
    "trailIamPolicyChanges": "PutRolePolicy",
    "trailCloudTrailChanges": "StopLogging",
    "trailConsoleAuthFailures": "Failed authentication",
    "trailKmsKeyDisabledOrDeleted": "ScheduleKeyDeletion",
    "trailS3BucketPolicyChanges": "PutBucketPolicy",
    "trailConfigChanges": "StopConfigurationRecorder",
    "trailSecurityGroupChanges": "AuthorizeSecurityGroupIngress",
    "trailNaclChanges": "CreateNetworkAclEntry",
    "trailNetworkGatewayChanges": "AttachInternetGateway",
    "trailRouteTableChanges": "CreateRoute",
    "trailVpcChanges": "CreateVpc",
    "trailOrganizationsChanges": "LeaveOrganization",
}


def _trail(env: str) -> dict:
    return one(observability(env), "aws:cloudtrail/trail:Trail")


def _stack_value(layer: str, env: str, key: str) -> str:
    return str(read_stack_file(REPO / layer / f"Pulumi.{env}.yaml")[key])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_trail_is_delivered_to_a_log_group_encrypted_with_its_own_key(env):
    layer = observability(env)
    trail = _trail(env)["inputs"]
    (group,) = [g for g in resources(layer, LOG_GROUP) if g["inputs"]["name"].startswith("/aws/cloudtrail/")]
    key = one(layer, "aws:kms/key:Key")
    assert trail["cloudWatchLogsGroupArn"] == f"{group['outputs']['arn']}:*"
    assert group["inputs"]["kmsKeyId"] == key["outputs"]["arn"] == trail["kmsKeyId"]
    assert group["inputs"]["retentionInDays"] == int(
        _stack_value("observability", env, "observability:trailRetentionDays")
    )
    logs = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}["CloudWatchLogsEncrypts"]
    region = upstream(env, "data")["region"]
    assert logs["Condition"]["ArnLike"] == {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group['inputs']['name']}"
    }
    # CloudTrail may assume the delivery role for this trail only, and write only this group's streams
    (role,) = [
        r for r in resources(layer, "aws:iam/role:Role") if r["outputs"]["arn"] == trail["cloudWatchLogsRoleArn"]
    ]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "cloudtrail.amazonaws.com"}]
    assert trust[0]["Condition"]["ArnLike"]["aws:SourceArn"] == layer["outputs"]["trailArn"]
    (policy,) = [p for p in resources(layer, "aws:iam/rolePolicy:RolePolicy") if p["inputs"]["role"] == role["id"]]
    (write,) = json.loads(policy["inputs"]["policy"])["Statement"]
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["Resource"] == f"{group['outputs']['arn']}:log-stream:*"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_cis_metric_filter_reviews_the_trail_and_alarms_on_the_alarm_topic(env):
    layer = observability(env)
    group = _trail(env)["inputs"]["cloudWatchLogsGroupArn"].removesuffix(":*").rsplit(":", 1)[-1]
    filters = {f["inputs"]["metricTransformation"]["name"]: f["inputs"] for f in resources(layer, METRIC_FILTER)}
    assert set(filters) == set(CIS_EVENTS) == {check.key for check in CIS_CHECKS}
    namespaces = {f["metricTransformation"]["namespace"] for f in filters.values()}
    assert namespaces == {f"AuditTrail/{env}-{_suffix(env)}"}
    topic = layer["outputs"]["alarmTopicArn"]
    by_metric = {a["inputs"]["metricName"]: a["inputs"] for a in resources(layer, ALARM) if "metricName" in a["inputs"]}
    names = layer["outputs"]["alarmNames"]
    for key, event in CIS_EVENTS.items():
        metric_filter = filters[key]
        assert metric_filter["logGroupName"] == group
        assert event in metric_filter["pattern"], key
        assert metric_filter["metricTransformation"]["value"] == "1"
        alarm = by_metric[key]
        assert alarm["namespace"] == metric_filter["metricTransformation"]["namespace"]
        assert (alarm["threshold"], alarm["comparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert alarm["alarmActions"] == alarm["okActions"] == [topic]
        assert alarm["treatMissingData"] == "notBreaching"
        assert names[key] == alarm["name"]


def _suffix(env: str) -> str:
    return _stack_value("observability", env, "platform:environmentSuffix")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_trail_is_protected_exactly_where_the_data_stores_are(env):
    """observability:protectAuditTrail is data:protectDataStores' counterpart: one value per environment."""
    protect = _stack_value("observability", env, "observability:protectAuditTrail")
    assert protect == _stack_value("data", env, "data:protectDataStores")
    layer = observability(env)
    bucket = one(layer, "aws:s3/bucket:Bucket")
    key = one(layer, "aws:kms/key:Key")
    (group,) = [g for g in resources(layer, LOG_GROUP) if g["inputs"]["name"].startswith("/aws/cloudtrail/")]
    expected = protect == "true"
    assert [r["protect"] for r in (bucket, key, group)] == [expected] * 3
    assert bucket["inputs"]["forceDestroy"] is not expected
    assert key["inputs"]["deletionWindowInDays"] == 30


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_trail_bucket_keeps_files_at_least_90_days_and_logs_its_accesses(env):
    layer = observability(env)
    days = int(_stack_value("observability", env, "observability:trailRetentionDays"))
    assert days >= (365 if env == "prod" else 90)
    bucket = one(layer, "aws:s3/bucket:Bucket")["inputs"]["bucket"]
    logging = one(layer, "aws:s3/bucketLogging:BucketLogging")["inputs"]
    assert logging == {
        "bucket": bucket,
        "targetBucket": upstream(env, "data")["accessLogsBucketName"],
        "targetPrefix": f"{bucket}/",
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_functions_shared_dead_letter_queue_has_its_own_depth_alarm(env):
    layer = observability(env)
    threshold = json.loads(_stack_value("observability", env, "observability:alarmThresholds"))["lambdaDlqDepth"]
    name = layer["outputs"]["alarmNames"]["lambdaDlqDepth"]
    (alarm,) = [a["inputs"] for a in resources(layer, ALARM) if a["inputs"]["name"] == name]
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["dimensions"] == {"QueueName": upstream(env, "application")["lambdaDlqName"]}
    assert alarm["threshold"] == threshold and alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["alarmActions"] == [layer["outputs"]["alarmTopicArn"]]

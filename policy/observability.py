"""Observability and audit: every alarm notifies (ALARM and OK) through an encrypted topic that only
CloudWatch of the account may publish to; trails validate, encrypt and cover every region and the
management events; the data layer reports enhanced monitoring, keeps prod's backups past a delete,
and never keeps a replaced object version shorter than a current one."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.rules import for_types, items, known, of_type, principals, resource_policy, stack_policy, statements, value

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
CLOUDWATCH = "cloudwatch.amazonaws.com"


def _alarm_actions(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "actionsEnabled") is False:
        return "actionsEnabled is false: the alarm changes state and nobody hears it; set actionsEnabled=true"
    missing = [key for key in ("alarmActions", "okActions") if not items(value(args.props, key))]
    if missing:
        return (
            f"no {' and no '.join(missing)}: send ALARM and OK to the alarm topic, so a page is followed by its "
            "all-clear"
        )
    return None


def _alarm_topics_encrypted(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    topics = {}
    for topic in of_type(args, TOPIC):
        arn = known(topic.props, "arn")
        if arn:
            topics[str(arn)] = topic
    for alarm in of_type(args, METRIC_ALARM) + of_type(args, COMPOSITE_ALARM):
        for key in ("alarmActions", "okActions"):
            for action in items(known(alarm.props, key)):
                notified = topics.get(str(action))
                if notified is not None and not known(notified.props, "kmsMasterKeyId"):
                    yield (
                        notified.urn,
                        f"{notified.name} receives alarm notifications but is not encrypted: set kmsMasterKeyId to "
                        "the platform key (its policy lets cloudwatch.amazonaws.com use it for this account)",
                    )


def _confined(statement: Mapping[str, Any]) -> bool:
    condition = value(statement, "Condition") or {}
    keys = {str(k) for operator in condition for k in (value(condition, operator) or {})}
    return "aws:SourceAccount" in keys or "aws:SourceArn" in keys


def _topic_policy_scoped(args: ResourceValidationArgs) -> str | None:
    for statement in statements(value(args.props, "policy")):
        if value(statement, "Effect") != "Allow":
            continue
        who = principals(statement)
        if "*" in who:
            return "the topic policy allows anyone ('*'): name the publishing service instead"
        if CLOUDWATCH in who and not _confined(statement):
            return (
                "CloudWatch may publish for any account: add aws:SourceAccount (and aws:SourceArn of this account's "
                "alarms) conditions to the statement"
            )
    return None


def _trail_validated(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "enableLogFileValidation") is True:
        return None
    return "log file validation is off: set enableLogFileValidation=true (digest files prove nothing was changed)"


def _trail_encrypted(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "kmsKeyId"):
        return None
    return "trail files use SSE-S3 only: set kmsKeyId to a customer-managed key whose policy admits CloudTrail"


def _management_events(props: Mapping[str, Any]) -> bool:
    advanced = items(value(props, "advancedEventSelectors"))
    if advanced:
        return any(
            value(field, "field") == "eventCategory" and "Management" in items(value(field, "equals"))
            for selector in advanced
            for field in items(value(selector, "fieldSelectors"))
        )
    basic = items(value(props, "eventSelectors"))
    return not basic or any(value(s, "includeManagementEvents") is not False for s in basic)


def _trail_everywhere(args: ResourceValidationArgs) -> str | None:
    props = args.props
    if value(props, "isMultiRegionTrail") is not True:
        return "the trail records one region: set isMultiRegionTrail=true (activity elsewhere is invisible)"
    if value(props, "includeGlobalServiceEvents") is False:
        return "global service events (IAM, STS) are excluded: set includeGlobalServiceEvents=true"
    if not _management_events(props):
        return "the trail selects no management events: add an eventCategory=Management selector"
    return None


def _enhanced_monitoring(args: ResourceValidationArgs) -> str | None:
    interval = value(args.props, "monitoringInterval")
    if not interval:
        return "enhanced monitoring is off: set monitoringInterval (1-60 s, data:monitoringIntervalSeconds)"
    if not value(args.props, "monitoringRoleArn"):
        return "enhanced monitoring has no role: set monitoringRoleArn (RDSOSMetrics only)"
    return None


def _prod_backups_survive(args: ResourceValidationArgs) -> str | None:
    tags = value(args.props, "tags") or {}
    if value(tags, "Environment") != "prod" or value(args.props, "deleteAutomatedBackups") is False:
        return None
    return (
        "prod's automated backups go with the database: set deleteAutomatedBackups=false "
        "(data:retainAutomatedBackups; they still expire after the retention period)"
    )


def _noncurrent_kept(args: ResourceValidationArgs) -> str | None:
    for rule in items(value(args.props, "rules")):
        if value(rule, "status") != "Enabled":
            continue
        current = value(rule, "expiration", "days")
        noncurrent = value(rule, "noncurrentVersionExpiration", "noncurrentDays")
        if current and noncurrent and noncurrent < current:
            return (
                f"rule {value(rule, 'id')!r} keeps replaced versions {noncurrent:g} days but current ones "
                f"{current:g}: a deleted or overwritten record would vanish first; keep noncurrent versions at "
                "least as long"
            )
    return None


def _skip_unknown(check: Any) -> Any:
    def run(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        try:
            yield from check(args)
        except UnknownValueError:
            return

    return run


POLICIES = (
    resource_policy(
        "cloudwatch-alarm-actions (CKV_AWS_319)",
        "Every alarm (metric and composite) has actions enabled and sends both ALARM and OK somewhere.",
        for_types((METRIC_ALARM, COMPOSITE_ALARM), _alarm_actions),
    ),
    stack_policy(
        "sns-alarm-topic-encrypted (SNS.1)",
        "Every SNS topic an alarm notifies is encrypted with a customer-managed key.",
        _skip_unknown(_alarm_topics_encrypted),
    ),
    resource_policy(
        "sns-topic-policy-confined",
        "Topic policies name no '*' principal, and CloudWatch may publish only for this account (SourceAccount "
        "or SourceArn condition).",
        {TOPIC_POLICY: _topic_policy_scoped},
    ),
    resource_policy(
        "cloudtrail-log-file-validation (CloudTrail.4)",
        "Trails write digest files (log file validation).",
        {TRAIL: _trail_validated},
    ),
    resource_policy(
        "cloudtrail-encrypted-with-cmk (CloudTrail.2)",
        "Trails encrypt their files with a customer-managed KMS key.",
        {TRAIL: _trail_encrypted},
    ),
    resource_policy(
        "cloudtrail-multi-region-management-events (CloudTrail.1)",
        "Trails cover every region, global service events and management events.",
        {TRAIL: _trail_everywhere},
    ),
    resource_policy(
        "rds-enhanced-monitoring (RDS.6)",
        "RDS instances and Aurora instances report enhanced monitoring through a monitoring role.",
        for_types((INSTANCE, CLUSTER_INSTANCE), _enhanced_monitoring),
    ),
    resource_policy(
        "rds-prod-automated-backups-retained",
        "In prod (Environment tag), automated backups survive the deletion of the database.",
        for_types((INSTANCE, CLUSTER), _prod_backups_survive),
    ),
    resource_policy(
        "s3-noncurrent-versions-kept-as-long-as-current",
        "Lifecycle rules never expire replaced versions sooner than current objects.",
        {LIFECYCLE: _noncurrent_kept},
    ),
)

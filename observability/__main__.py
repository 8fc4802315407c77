"""Observability layer: the alarm topic, alarms on every critical failure (functions, settlement, database,
API, edge) and one composite over them, the environment's dashboard, X-Ray tracing, and the audit of
the audit (a CloudTrail trail, reviewed by the CIS metric filters and their alarms). Reads the
application and data contracts; exports the OBSERVABILITY contract."""

from typing import Any

import pulumi

from observability.alarm import AlarmDestination, AlarmGroup
from observability.alarm_topic import AlarmTopic, AlarmTopicArgs
from observability.api_alarms import ApiAlarms, ApiAlarmsArgs
from observability.audit_trail import AuditTrail, AuditTrailArgs
from observability.composite_alarm import PaymentsDegraded, PaymentsDegradedArgs
from observability.dashboard import DashboardArgs, PaymentsDashboard
from observability.database_alarms import DatabaseAlarms, DatabaseAlarmsArgs
from observability.edge_alarms import EdgeAlarms, EdgeAlarmsArgs, EdgeDimensions
from observability.function_alarms import FunctionAlarms, FunctionAlarmsArgs, WatchedFunction
from observability.settings import ObservabilitySettings
from observability.settlement_alarms import SettlementAlarms, SettlementAlarmsArgs
from observability.tracing import Tracing, TracingArgs
from observability.trail_alarms import TrailAlarms, TrailAlarmsArgs
from payments.metric_names import NAMESPACE
from shared.bootstrap import start_layer
from shared.contracts import COLORS
from shared.errors import ContractError
from shared.functions import FUNCTIONS
from shared.stack_refs import UpstreamStack

# --- configuration: validated before anything exists ---
config, ctx = start_layer("observability", ObservabilitySettings)
settings, platform = config.layer, config.platform
application = UpstreamStack("application", "observability", platform)
data = UpstreamStack("data", "observability", platform)
opts = ctx.component_opts()


def _one_namespace(namespace: str) -> str:
    """The functions emit into payments.metric_names.NAMESPACE; the alarms read it from there too."""
    if namespace != NAMESPACE:
        raise ContractError(f"application metricsNamespace is {namespace!r}; payments.metric_names says {NAMESPACE!r}")
    return namespace


def _service(values: list[str]) -> str:
    namespace, service = values
    _one_namespace(namespace)
    return service


def _item(mapping: pulumi.Output[dict[str, Any]], key: str) -> pulumi.Output[Any]:
    return mapping.apply(lambda values: values[key])


service = pulumi.Output.all(application.require("metricsNamespace"), application.require("metricsServiceName")).apply(
    _service
)
timeouts = application.require("functionTimeouts")
functions = {
    function.key: WatchedFunction(
        function.name, application.require(f"{function.key}FunctionName"), _item(timeouts, function.key)
    )
    for function in FUNCTIONS
    if function.alarms
}
queue_name, dlq_name = application.require("paymentQueueName"), application.require("paymentDlqName")
lambda_dlq_name = application.require("lambdaDlqName")
api_name, api_stage = application.require("apiName"), application.require("apiStageName")
database_engine, database_identifier = data.require("databaseEngine"), data.require("databaseIdentifier")
# The edge: the ALB, its target groups (per colour and the /api/* Lambda target), the web tier's groups.
edge = EdgeDimensions(
    alb_arn_suffix=application.require("albArnSuffix"),
    lambda_target_group_arn_suffix=application.require("lambdaTargetGroupArnSuffix"),
    web_target_group_arn_suffixes={
        colour: _item(application.require("webTargetGroupArnSuffixes"), colour) for colour in COLORS
    },
    web_auto_scaling_group_names={
        colour: _item(application.require("webAutoScalingGroupNames"), colour) for colour in COLORS
    },
)

# --- where alarms go ---
topic = AlarmTopic("alarm-topic", AlarmTopicArgs(data.require("kmsKeyArn"), settings.alarm_emails), ctx, opts)
destination = AlarmDestination(topic.arn, settings.alarm_period_seconds)
limits = settings.alarm_thresholds

# --- the audit of the audit: the trail, and its review by the CIS metric filters ---
trail = AuditTrail(
    "audit-trail",
    AuditTrailArgs(
        audit_bucket_arn=data.require("auditBucketArn"),
        retention_days=settings.trail_retention_days,
        protect=settings.protect_audit_trail,
        access_log_bucket=data.require("accessLogsBucketName"),
    ),
    ctx,
    opts,
)
trail_alarms = TrailAlarms("trail", TrailAlarmsArgs(trail.log_group.name, destination), ctx, opts)

# --- alarms ---
function_alarms = FunctionAlarms("functions", FunctionAlarmsArgs(functions, limits, destination), ctx, opts)
settlement_alarms = SettlementAlarms(
    "settlement", SettlementAlarmsArgs(service, queue_name, dlq_name, lambda_dlq_name, limits, destination), ctx, opts
)
database_alarms = DatabaseAlarms(
    "database", DatabaseAlarmsArgs(database_engine, database_identifier, limits, destination), ctx, opts
)
api_alarms = ApiAlarms("api", ApiAlarmsArgs(api_name, api_stage, limits, destination), ctx, opts)
edge_alarms = EdgeAlarms("edge", EdgeAlarmsArgs(edge, limits, destination), ctx, opts) if edge else None
groups: list[AlarmGroup] = [
    function_alarms,
    settlement_alarms,
    database_alarms,
    api_alarms,
    *([edge_alarms] if edge_alarms else []),
    trail_alarms,
]
alarms = {key: alarm for group in groups for key, alarm in group.alarms.items()}
degraded = PaymentsDegraded(
    "payments-degraded",
    PaymentsDegradedArgs([alarm for group in groups for alarm in group.critical], destination),
    ctx,
    opts,
)

# --- dashboard and tracing ---
dashboard = PaymentsDashboard(
    "dashboard",
    DashboardArgs(
        service=service,
        functions={watched.alarm_prefix: watched.function_name for watched in functions.values()},
        queue_name=queue_name,
        dlq_name=dlq_name,
        database_engine=database_engine,
        database_identifier=database_identifier,
        api_name=api_name,
        api_stage=api_stage,
        alarm_arns=[degraded.alarm.arn, *(alarm.arn for group in groups for alarm in group.critical)],
        edge=edge,
    ),
    ctx,
    opts,
)
tracing = Tracing(
    "tracing",
    TracingArgs([watched.function_name for watched in functions.values()], api_name, api_stage, settings.tracing),
    ctx,
    opts,
)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", platform.environment)
pulumi.export("region", platform.region)
pulumi.export("alarmTopicArn", topic.arn)
pulumi.export("alarmNames", {key: alarm.name for key, alarm in alarms.items()})
pulumi.export("compositeAlarmName", degraded.name)
pulumi.export("dashboardName", dashboard.name)
pulumi.export("dashboardUrl", dashboard.url)
pulumi.export("xrayGroupName", tracing.group.group_name)
pulumi.export("samplingRuleName", tracing.rule.rule_name)
pulumi.export("trailArn", trail.arn)
pulumi.export("trailBucketName", trail.bucket.bucket)

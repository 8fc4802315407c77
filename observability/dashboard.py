"""The environment's dashboard: transaction latency first, then throughput, failures, the queue, the
database, the API and the edge. The body is built from Python dicts (`dashboard_body`) and serialised
once, so it is always valid JSON; every metric comes from `observability.metrics` (custom metrics from
payments.metric_names)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from observability import metrics
from observability.edge_alarms import EdgeDimensions
from payments import metric_names
from shared.context import LayerContext
from shared.contracts import COLORS

PERIOD = 60  # per minute: "payments accepted and settled per minute"


def console_url(region: str, name: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/", name
    )


@dataclass(frozen=True)
class DashboardArgs:
    service: pulumi.Input[str]  # metricsServiceName: the `service` dimension of the custom metrics
    functions: Mapping[str, pulumi.Input[str]]  # label -> function name
    queue_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    database_engine: pulumi.Input[str]
    database_identifier: pulumi.Input[str]
    api_name: pulumi.Input[str]
    api_stage: pulumi.Input[str]
    alarm_arns: Sequence[pulumi.Input[str]]  # the composite first: the alarm-status widget
    edge: EdgeDimensions


def _graph(title: str, rows: Sequence[Any], *, stat: str = "Sum", region: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stat": stat,
            "period": PERIOD,
            "metrics": list(rows),
            **extra,
        },
    }


def _latency(args: DashboardArgs, region: str) -> dict[str, Any]:
    latency = metrics.custom(metric_names.TRANSACTION_LATENCY, args.service)
    rows = [latency.row(stat=p, label=f"{p} (ms)") for p in ("p50", "p90", "p99")]
    return _graph(
        "Transaction latency: accepted (202) to settled, ms",
        rows,
        stat="p99",
        region=region,
        yAxis={"left": {"min": 0, "label": "ms", "showUnits": False}},
    )


def _throughput(args: DashboardArgs, region: str) -> dict[str, Any]:
    rows = [
        metrics.custom(metric_names.PAYMENT_ACCEPTED, args.service).row(label="accepted / min"),
        metrics.custom(metric_names.PAYMENT_SETTLED, args.service).row(label="settled / min"),
        metrics.custom(metric_names.PAYMENT_REPLAYED, args.service).row(label="idempotent replays / min"),
    ]
    return _graph("Payments accepted and settled per minute", rows, region=region)


def _failures(args: DashboardArgs, region: str) -> dict[str, Any]:
    names = (
        metric_names.PAYMENT_REJECTED,
        metric_names.PAYMENT_ERRORED,
        metric_names.ENQUEUE_FAILED,
        metric_names.SETTLEMENT_FAILED,
        metric_names.SETTLEMENT_SKIPPED,
    )
    rows = [metrics.custom(name, args.service).row() for name in names]
    rows += [metrics.function("Errors", fn).row(label=f"{label} Lambda errors") for label, fn in args.functions.items()]
    return _graph("Failures per minute", rows, region=region)


def _queue(args: DashboardArgs, region: str) -> dict[str, Any]:
    rows = [
        metrics.queue("ApproximateNumberOfMessagesVisible", args.queue_name).row(label="payment queue depth"),
        metrics.queue("ApproximateNumberOfMessagesVisible", args.dlq_name).row(label="DLQ depth"),
        metrics.queue("ApproximateAgeOfOldestMessage", args.queue_name).row(label="oldest message (s)", yAxis="right"),
    ]
    return _graph("Settlement queue: depth and age", rows, stat="Maximum", region=region)


def _functions(args: DashboardArgs, region: str) -> dict[str, Any]:
    rows = [metrics.function("Duration", fn).row(label=f"{label} p99 (ms)") for label, fn in args.functions.items()]
    rows += [
        metrics.function("Throttles", fn).row(stat="Sum", label=f"{label} throttles", yAxis="right")
        for label, fn in args.functions.items()
    ]
    return _graph("Functions: p99 duration and throttles", rows, stat="p99", region=region)


def _database(args: DashboardArgs, region: str) -> dict[str, Any]:
    engine, identifier = args.database_engine, args.database_identifier
    rows = [
        metrics.database("CPUUtilization", engine, identifier).row(label="CPU %"),
        metrics.database("DatabaseConnections", engine, identifier).row(label="connections", yAxis="right"),
    ]
    return _graph("Database: CPU and connections", rows, stat="Average", region=region)


def _api(args: DashboardArgs, region: str) -> dict[str, Any]:
    def api(name: str, **options: Any) -> pulumi.Output[list[Any]]:
        return metrics.api(name, args.api_name, args.api_stage).row(**options)

    rows = [
        [{"expression": "IF(requests > 0, 100 * e4 / requests, 0)", "label": "4XX %", "id": "r4"}],
        [{"expression": "IF(requests > 0, 100 * e5 / requests, 0)", "label": "5XX %", "id": "r5"}],
        api("4XXError", id="e4", stat="Sum", visible=False),
        api("5XXError", id="e5", stat="Sum", visible=False),
        api("Count", id="requests", stat="Sum", visible=False),
        api("Latency", stat="p99", label="latency p99 (ms)", yAxis="right"),
        api("Latency", stat="p50", label="latency p50 (ms)", yAxis="right"),
    ]
    return _graph("API: error rates (%) and latency (ms)", rows, region=region)


def _edge(edge: EdgeDimensions, region: str) -> list[dict[str, Any]]:
    alb = edge.alb_arn_suffix
    requests = [
        metrics.load_balancer("HTTPCode_ELB_5XX_Count", alb).row(label="ALB 5XX"),
        metrics.load_balancer("HTTPCode_Target_5XX_Count", alb).row(label="target 5XX"),
        metrics.load_balancer("TargetResponseTime", alb).row(stat="p99", label="response p99 (s)", yAxis="right"),
    ]
    targets = {**edge.web_target_group_arn_suffixes, "api": edge.lambda_target_group_arn_suffix}
    health = [
        metrics.load_balancer(kind, alb, suffix).row(label=f"{target} {label}")
        for target, suffix in targets.items()
        for kind, label in (("HealthyHostCount", "healthy"), ("UnHealthyHostCount", "unhealthy"))
    ]
    health += [
        metrics.auto_scaling_group("GroupInServiceInstances", edge.web_auto_scaling_group_names[colour]).row(
            label=f"{colour} in service"
        )
        for colour in COLORS
    ]
    return [
        _graph("ALB: 5XX and target response time", requests, region=region),
        _graph("Web tier: healthy targets and instances in service", health, stat="Minimum", region=region),
    ]


def dashboard_body(args: DashboardArgs, region: str) -> dict[str, Any]:
    """The body as a dict (values may be Outputs): rows of two widgets, 12 columns each."""
    guide = (
        "## Payments\n"
        "Top left: **transaction latency** (accepted to settled; p99 is what merchants feel). Then "
        "throughput, failures, the settlement queue, the database, the API and the edge. Alarms: "
        "*payments degraded* fires when any critical alarm does (runbook: observability/README.md)."
    )
    charts = [
        _latency(args, region),
        _throughput(args, region),
        _failures(args, region),
        _queue(args, region),
        _functions(args, region),
        _database(args, region),
        _api(args, region),
        *_edge(args.edge, region),
    ]
    widgets: list[dict[str, Any]] = [
        {"type": "text", "x": 0, "y": 0, "width": 12, "height": 4, "properties": {"markdown": guide}},
        {
            "type": "alarm",
            "x": 12,
            "y": 0,
            "width": 12,
            "height": 4,
            "properties": {"title": "Alarms", "alarms": list(args.alarm_arns), "sortBy": "stateUpdatedTimestamp"},
        },
    ]
    for index, chart in enumerate(charts):
        widgets.append({**chart, "x": (index % 2) * 12, "y": 4 + (index // 2) * 6, "width": 12, "height": 6})
    return {"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets}


class PaymentsDashboard(pulumi.ComponentResource):
    dashboard: aws.cloudwatch.Dashboard
    name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:PaymentsDashboard", name, None, opts)
        # Dashboard names are unique per account, not per region: env and suffix keep them apart.
        physical = ctx.name("payments", "cloudwatch")
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=physical,
            dashboard_body=pulumi.Output.json_dumps(dashboard_body(args, ctx.region)),
            opts=ctx.child(self),
        )
        self.name = self.dashboard.dashboard_name
        self.url = console_url(ctx.region, self.name)
        self.register_outputs({"name": self.name, "url": self.url})

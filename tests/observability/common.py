"""Readers for the observability layer's plan: its alarms, the dashboard body, the metrics both read."""

import json
from typing import Any

from payments import metric_names
from tests.observability.emitted_metrics import EmittedMetric
from tests.support import layer_of, per_environment, planned, resources

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC = "aws:sns/topic:Topic"

# The per-environment thresholds (docs/design.md), as the stack files set them.
THRESHOLDS: dict[str, dict[str, float]] = per_environment("tests/observability/common.py THRESHOLDS", {
    "dev": {"throttles": 5, "settlement": 10, "dlq": 10, "age": 900, "cpu": 90, "connections": 300,
            "storage_gb": 2, "4xx": 50, "5xx": 10, "latency": 5000, "alb5xx": 20, "trt": 5, "sampling": 1.0},
    "staging": {"throttles": 1, "settlement": 5, "dlq": 5, "age": 600, "cpu": 85, "connections": 300,
                "storage_gb": 2, "4xx": 20, "5xx": 5, "latency": 3000, "alb5xx": 10, "trt": 3, "sampling": 0.2},
    "prod": {"throttles": 1, "settlement": 1, "dlq": 1, "age": 300, "cpu": 80, "connections": 1000,
             "storage_gb": 5, "4xx": 10, "5xx": 1, "latency": 2000, "alb5xx": 5, "trt": 2, "sampling": 0.05},
})  # fmt: skip
# Who each environment's alarms reach (observability:alarmEmails).
ALARM_RECIPIENTS = per_environment(
    "tests/observability/common.py ALARM_RECIPIENTS",
    {
        "dev": "payments-dev@example.com",
        "staging": "payments-staging@example.com",
        "prod": "payments-oncall@example.com",
    },
)


def observability(env: str) -> dict[str, Any]:
    return layer_of(planned(env), "observability")


def upstream(env: str, layer: str) -> dict[str, Any]:
    return dict(layer_of(planned(env), layer)["outputs"])


def alarms(layer: Any) -> dict[str, dict[str, Any]]:
    """Metric alarms by name, their inputs."""
    return {a["inputs"]["name"]: a["inputs"] for a in resources(layer, ALARM)}


def dashboard_body(layer: Any) -> dict[str, Any]:
    (dashboard,) = resources(layer, DASHBOARD)
    body: dict[str, Any] = json.loads(dashboard["inputs"]["dashboardBody"])
    return body


def metric_reads(layer: Any) -> list[tuple[str, str, dict[str, str], str]]:
    """(namespace, metric, dimensions, where) of every metric an alarm or widget reads."""
    found: list[tuple[str, str, dict[str, str], str]] = []
    for name, alarm in alarms(layer).items():
        if "metricName" in alarm:
            found.append((alarm["namespace"], alarm["metricName"], dict(alarm.get("dimensions") or {}), name))
        for query in alarm.get("metricQueries") or []:
            if "metric" in query:
                metric = query["metric"]
                found.append((metric["namespace"], metric["metricName"], dict(metric.get("dimensions") or {}), name))
    for widget in dashboard_body(layer)["widgets"]:
        for row in widget.get("properties", {}).get("metrics", []):
            parts = [part for part in row if not isinstance(part, dict)]
            if len(parts) < 2:
                continue  # a metric-math expression row
            namespace, metric, *pairs = parts
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            found.append((namespace, metric, dimensions, f"widget {widget['properties']['title']!r}"))
    return found


def custom_metrics_of(layer: Any) -> set[EmittedMetric]:
    return {
        EmittedMetric(namespace, metric, tuple(sorted(dimensions.items())))
        for namespace, metric, dimensions, _ in metric_reads(layer)
        if namespace == metric_names.NAMESPACE
    }

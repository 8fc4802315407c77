"""One source for metric names: every custom metric an alarm or the dashboard of any environment reads
is one the payment functions really emit (captured from their EMF output), and every AWS metric uses
its service's namespace and dimensions with the values of the contracts."""

import functools

import pytest

from payments import metric_names
from shared.environments import ENVIRONMENTS
from tests.observability.common import custom_metrics_of, observability
from tests.observability.emitted_metrics import EmittedMetric, emitted_by_the_functions, parse_emf


@functools.cache
def emitted() -> frozenset[EmittedMetric]:
    return frozenset(emitted_by_the_functions())


@pytest.mark.postgres
def test_the_functions_emit_every_metric_payments_metric_names_declares():
    names = {
        value
        for key, value in vars(metric_names).items()
        if key.isupper() and key not in ("NAMESPACE", "SERVICE_DIMENSION")
    }
    assert {metric.name for metric in emitted()} == names
    assert {metric.namespace for metric in emitted()} == {metric_names.NAMESPACE}
    assert {metric.dimensions for metric in emitted()} == {((metric_names.SERVICE_DIMENSION, "payments"),)}


@pytest.mark.postgres
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_custom_metric_in_the_plan_is_one_the_functions_emit(env):
    used = custom_metrics_of(observability(env))
    assert used, "the plan reads no custom metric"
    # the service value the functions run with is the application's metricsServiceName ("payments" in tests)
    assert used <= emitted(), f"alarms or widgets read metrics nobody emits: {sorted(used - emitted())}"
    assert {m.name for m in used} >= {
        metric_names.TRANSACTION_LATENCY,
        metric_names.PAYMENT_ACCEPTED,
        metric_names.PAYMENT_SETTLED,
        metric_names.SETTLEMENT_FAILED,
    }


def test_a_metric_nobody_emits_is_caught():
    line = '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "Payments", "Dimensions": [["service"]], '
    line += '"Metrics": [{"Name": "PaymentAccepted", "Unit": "Count"}]}]}, "service": "payments", "PaymentAccepted": 1}'
    known = parse_emf(f"noise\n{line}\n")
    assert known == {EmittedMetric("Payments", "PaymentAccepted", (("service", "payments"),))}
    renamed = EmittedMetric("Payments", "PaymentsAccepted", (("service", "payments"),))
    no_service = EmittedMetric("Payments", "PaymentAccepted", ())
    assert not {renamed, no_service} <= known

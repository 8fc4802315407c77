"""Each function's environment variables come from what its handler declares: a required variable
nobody supplies, or a supplied one no handler reads, fails the plan with one clear message."""

import pytest

from application import environment
from application.environment import EnvironmentVariablesError, function_environments
from payments.settings import HANDLER_ENVIRONMENT, HANDLER_REQUIRED_ENVIRONMENT
from tests.support import run_layer

PROCESS = "payments.handlers.process_payment.handler"
VERIFY = "payments.handlers.verify_payment.handler"
WORKER = "payments.handlers.settlement_worker.handler"


def values_for(*handlers: str) -> dict[str, str]:
    """A value for every variable the handlers read."""
    return {name: f"value-of-{name}" for handler in handlers for name in HANDLER_ENVIRONMENT[handler]}


def test_each_function_gets_exactly_the_supplied_variables_its_handler_reads():
    supplied = values_for(PROCESS, WORKER)
    environments = function_environments({"process": PROCESS, "worker": WORKER}, supplied)
    assert set(environments["process"]) == set(HANDLER_ENVIRONMENT[PROCESS])
    assert set(environments["worker"]) == set(HANDLER_ENVIRONMENT[WORKER])
    assert "PAYMENT_QUEUE_URL" not in environments["worker"] and "DB_WRITER_USER" not in environments["process"]


def test_optional_variables_may_be_left_to_their_defaults():
    required_only = {name: "x" for name in HANDLER_REQUIRED_ENVIRONMENT[VERIFY]}
    assert function_environments({"verify": VERIFY}, required_only) == {"verify": required_only}


def test_a_required_variable_nobody_supplies_fails_naming_function_and_variable():
    supplied = values_for(WORKER)
    del supplied["DB_PROXY_ENDPOINT"], supplied["NOTIFICATION_TOPIC_ARN"]
    with pytest.raises(EnvironmentVariablesError) as error:
        function_environments({"settlement-worker": WORKER}, supplied)
    assert (
        f"settlement-worker ({WORKER}) requires DB_PROXY_ENDPOINT, NOTIFICATION_TOPIC_ARN, "
        "which the application layer does not supply"
    ) in str(error.value)


def test_a_supplied_variable_no_handler_reads_fails():
    supplied = {**values_for(VERIFY), "MERCHANTS_BY_API_KEYID": "{}", "PAYMENT_QUEUE_URL": "https://q"}
    with pytest.raises(EnvironmentVariablesError) as error:
        function_environments({"verify": VERIFY}, supplied)
    assert "supplies MERCHANTS_BY_API_KEYID, PAYMENT_QUEUE_URL, which no handler reads" in str(error.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(EnvironmentVariablesError) as error:
        function_environments({"process": PROCESS, "verify": VERIFY}, {"UNUSED": "x"})
    assert "(3 problem(s))" in str(error.value)


def test_a_handler_the_functions_do_not_declare_is_refused():
    with pytest.raises(EnvironmentVariablesError, match=r"'payments\.handlers\.nope\.handler' is not declared"):
        function_environments({"nope": "payments.handlers.nope.handler"}, {})


def test_a_handler_requiring_what_the_layer_lacks_fails_the_plan(monkeypatch):
    """What happens when a functions branch adds a required variable before the layer supplies it."""
    required = {**environment.HANDLER_REQUIRED_ENVIRONMENT, VERIFY: frozenset({"TRANSACTIONS_TABLE_NAME", "NEW_ONE"})}
    monkeypatch.setattr(environment, "HANDLER_REQUIRED_ENVIRONMENT", required)
    with pytest.raises(EnvironmentVariablesError, match=r"verify-payment \(.*\) requires NEW_ONE"):
        run_layer("application", "dev")

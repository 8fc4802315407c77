"""The payment functions are declared once, in `shared/functions.py`: the handlers, the application
layer's timeouts, grants and API routes, and the contracts all follow from its rows."""

import re

import pytest
from pydantic import ValidationError

from application.api import ApiFunction, PaymentApiArgs
from application.api_definition import PAYMENTS_API
from application.api_settings import ApiThrottle
from application.permissions import GrantsError, function_statements
from application.settings import ApplicationSettings
from payments.settings import HANDLER_ENVIRONMENT
from shared.contracts import APPLICATION, OBSERVABILITY
from shared.functions import FUNCTIONS, functions_invoked_by


def test_every_row_is_one_function_with_a_declared_handler_and_every_handler_is_deployed():
    names = [function.name for function in FUNCTIONS]
    assert len(set(names)) == len(names) == len({function.key for function in FUNCTIONS})
    assert sorted(function.handler for function in FUNCTIONS) == sorted(HANDLER_ENVIRONMENT)
    assert all(function.timeout_seconds <= function.timeout_limit_seconds for function in FUNCTIONS)


def test_the_contracts_export_every_function_and_observability_reads_the_watched_ones():
    for function in FUNCTIONS:
        assert {f"{function.key}FunctionName", f"{function.key}FunctionArn"} <= set(APPLICATION.exports)
        watched = f"{function.key}FunctionName" in OBSERVABILITY.reads["application"]
        assert watched is function.alarms, function.name


def test_timeouts_have_one_key_per_function_with_its_default_and_its_doors_limit():
    timeouts = ApplicationSettings.model_fields["timeouts"].default
    assert sorted(timeouts.model_dump(by_alias=True)) == sorted(function.key for function in FUNCTIONS)
    for function in FUNCTIONS:
        assert timeouts.of(function) == function.timeout_seconds
        limit = 29 if function.api_facing else 900
        assert type(timeouts).model_validate({function.key: limit}).of(function) == limit
        with pytest.raises(ValidationError, match=f"less than or equal to {limit}"):
            type(timeouts).model_validate({function.key: limit + 1})


def test_every_api_gateway_route_is_served_by_the_function_named_after_it():
    assert sorted(route.path for route in PAYMENTS_API.routes) == sorted(
        function.name for function in functions_invoked_by("api-gateway")
    )
    throttle = ApiThrottle(rate_limit=1, burst_limit=1)
    first, *others = [route.path for route in PAYMENTS_API.routes]
    served = {first: ApiFunction("f", "arn"), "refund-payment": ApiFunction("g", "arn")}
    expected = f"without a function {others!r}, functions without a route ['refund-payment']"
    with pytest.raises(ValueError, match=re.escape(expected)):
        PaymentApiArgs(served, throttle, "INFO", 30)


def test_grants_become_statements_on_the_supplied_resources():
    supplied = {name: f"arn:{name}" for f in FUNCTIONS for grant in f.grants for name in grant.resources}
    statements = function_statements(FUNCTIONS, supplied)
    (migration,) = functions_invoked_by("deploy")
    assert statements[migration.name] == [
        {
            "Sid": "ReadLedgerOwnerSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": ["arn:ledgerOwnerSecret"],
        }
    ]
    assert set(statements) == {function.name for function in FUNCTIONS}


def test_a_grant_without_its_resource_and_a_resource_without_a_grant_are_refused_together():
    supplied = {name: f"arn:{name}" for f in FUNCTIONS for grant in f.grants for name in grant.resources}
    del supplied["paymentQueue"]
    with pytest.raises(GrantsError) as error:
        function_statements(FUNCTIONS, {**supplied, "paymentQueu": "arn:typo"})
    message = str(error.value)
    assert (
        "process-payment (EnqueuePayments) names 'paymentQueue', which the application layer does not supply" in message
    )
    assert "settlement-worker (ConsumePayments) names 'paymentQueue'" in message
    assert "the application layer supplies paymentQueu, which no grant in shared/functions.py names" in message

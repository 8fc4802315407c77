"""`make cost`: line items from the plans against hand computations."""

import copy

import pytest

from shared.environments import ENVIRONMENTS
from tests.support import planned
from tooling.checks.cost.__main__ import difference, side_by_side
from tooling.checks.cost.estimate import line_items, price_table, total


def _item(env_or_plan, name):
    plan = planned(env_or_plan) if isinstance(env_or_plan, str) else env_or_plan
    return next(i for i in line_items(plan) if i.item == name)


def test_prod_nat_gateways_by_hand():
    # prod: natStrategy per_az over 3 AZs in eu-west-1; 0.048 USD per gateway-hour, 730 hours a month
    assert price_table()["regions"]["eu-west-1"]["nat_gateway_hour"] == 0.048
    assert _item("prod", "NAT gateways").monthly == round(3 * 0.048 * 730, 2) == 105.12


def test_prod_database_by_hand():
    # db.r5.large multi-AZ: the instance and its standby, 0.27 USD an hour each in eu-west-1
    assert _item("prod", "RDS PostgreSQL db.r5.large multi-AZ").monthly == round(2 * 0.27 * 730, 2)


def test_dev_has_no_nat_gateway_and_interface_endpoints_per_az():
    names = [i.item for i in line_items(planned("dev"))]
    assert "NAT gateways" not in names
    endpoints = _item("dev", "Interface endpoints (per AZ)")
    assert endpoints.quantity == 11 * 2  # 11 interface endpoints in 2 AZs


def test_environments_cost_more_as_they_go_to_prod():
    totals = [total(line_items(planned(env))) for env in ENVIRONMENTS]
    assert totals == sorted(totals) and totals[0] > 0


def test_the_side_by_side_table_has_every_environment():
    table = side_by_side({env: planned(env) for env in ENVIRONMENTS})
    assert [str(c.header).split("\n")[0] for c in table.columns] == ["item", *ENVIRONMENTS]


def test_a_change_costs_its_difference():
    head = copy.deepcopy(planned("prod"))
    for layer in head["layers"]:
        layer["resources"] = [r for r in layer["resources"] if r["type"] != "aws:ec2/natGateway:NatGateway"]
    table = difference(planned("prod"), head, "before", "after")
    assert "-105.12" in str(table.title)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_price_the_plan_needs_is_in_the_table(env):
    assert all(i.unit_price >= 0 for i in line_items(planned(env)))

"""`make cost`: line items from the plans against hand computations."""

import copy

import pytest

from shared.environments import ENVIRONMENTS
from tests.support import planned
from tooling.checks.cost.__main__ import difference, side_by_side
from tooling.checks.cost.__main__ import main as cost_main
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


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("qa", "--base 'qa' is neither an environment (dev, staging, prod) nor a plan file"),
        ("build/plan/no-such.json", "--base 'build/plan/no-such.json' is neither an environment"),
        ("README.md", "--base README.md: not a plan file: "),
        ("pyproject.toml", "--base pyproject.toml: not a plan file: "),
    ],
    ids=["unknown-environment", "missing-file", "not-json", "not-a-plan"],
)
def test_a_base_that_is_neither_an_environment_nor_a_plan_file_is_one_line(base, expected, capsys):
    with pytest.raises(SystemExit) as exit_:
        cost_main(["--base", base])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"make cost: {expected}"), err


def test_a_json_file_that_is_not_a_plan_is_refused(tmp_path, capsys):
    (tmp_path / "x.json").write_text('{"environment": "qa"}')
    with pytest.raises(SystemExit):
        cost_main(["--base", str(tmp_path / "x.json")])
    assert "not a plan file (make plan writes build/plan/<env>.json)" in capsys.readouterr().err

"""The comparison report in a terminal (`make parity`, `make compare`, `make drift`): on 80 and 120 columns
the verdict column stays, values fold rather than get cut, long structured values show the part that
differs, whole numbers stay integers and every row names its resource's type."""

import io

import pytest
from rich.console import Console

from tests.support import planned
from tooling.checks.compare import Side, environment_report
from tooling.checks.redact import Redactor
from tooling.checks.render import cells, render
from tooling.checks.report import Item, Report, Tally, build_report

WIDTHS = (80, 120)


@pytest.fixture(scope="module")
def dev_vs_staging() -> Report:
    return environment_report(
        "parity", Side("dev", "plan", planned("dev")), Side("staging", "plan", planned("staging"))
    )


def rendered(report: Report, width: int) -> str:
    out = io.StringIO()
    render(report, Console(file=out, width=width, emoji=False, highlight=False, color_system=None))
    return out.getvalue()


def item_rows(text: str) -> list[list[list[str]]]:
    """The items tables' rows, each a list of its lines, each line split into its five cells."""
    rows: list[list[list[str]]] = []
    body = items_table = False
    for line in text.splitlines():
        if line.startswith("┃"):
            items_table = "declared by" in line
        elif line.startswith("┡") and items_table:
            body, rows = True, [*rows, []]
        elif line.startswith(("└", "┏")):
            body = False
        elif body and line.startswith("├"):
            rows.append([])
        elif body and line.startswith("│"):
            rows[-1].append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def joined(row: list[list[str]], column: int) -> str:
    return "".join(line[column] for line in row)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_verdict_column_is_never_hidden(dev_vs_staging, width):
    text = rendered(dev_vs_staging, width)
    assert max(len(line) for line in text.splitlines()) <= width
    rows = item_rows(text)
    assert sum(len(row) for row in rows) >= len(dev_vs_staging.items) / 3  # one section per resource
    for row in rows:
        for line in row:
            assert len(line) == 5, line  # resource, path, both values, declared by
    declaring = "".join(joined(row, 4) for row in rows)
    for item in dev_vs_staging.items:
        for key in item.declared_by:
            assert key in declaring


@pytest.mark.parametrize("width", WIDTHS)
def test_every_row_names_its_resource_and_type(dev_vs_staging, width):
    firsts = [joined(row, 0).replace(" ", "") for row in item_rows(rendered(dev_vs_staging, width))]
    for item in dev_vs_staging.items:
        assert any(f"{item.name}{item.layer}{item.type}" in first for first in firsts), item.resource


def test_long_structured_values_show_the_part_that_differs(dev_vs_staging):
    (subnets,) = [i for i in dev_vs_staging.items if i.name == "alb-lb" and i.path == "subnets"]
    left, right = cells(subnets.left_value, subnets.right_value)
    assert left != right
    assert left.splitlines() == ["[2]: (none)", "(+2 equal)"]
    assert right.splitlines()[0].startswith("[2]: <") and "subnet" in right and right.endswith("(+2 equal)")


def test_values_are_shown_whole_never_cut():
    long = "x" * 150
    assert cells(long, long + "y") == (long, long + "y")
    assert cells(["a"], ["a", "b"]) == ('["a"]', '["a", "b"]')


def test_whole_numbers_stay_integers():
    """Deployed stacks and plans agree: 30, not 30.0 (the engine's wire format has only floats)."""
    assert cells(30.0, 365.0) == ("30", "365")
    assert cells({"days": 30.0, "rate": 0.5}, {"days": 30, "rate": 0.25}) == (
        '{"days": 30, "rate": 0.5}',
        '{"days": 30, "rate": 0.25}',
    )
    assert '"retentionInDays": 30.0' not in str(planned("dev"))


@pytest.mark.parametrize("width", WIDTHS)
def test_drift_shows_its_verdict_on_a_narrow_terminal(width):
    item = Item(
        comparison="state_cloud",
        layer="networking",
        left="staging:state",
        right="staging:cloud",
        resource="networking::payments:networking:Vpc$aws:ec2/vpc:Vpc::network-vpc",
        type="aws:ec2/vpc:Vpc",
        path="tags",
        left_value={"Environment": "staging", "Owner": "payments-platform-team-with-a-long-name"},
        right_value={"Environment": "staging", "Owner": "someone-else-entirely-with-a-long-name"},
        kind="update",
    )
    report = build_report(
        command="drift",
        environments=("staging",),
        source="deployed",
        layers=("networking",),
        items=[item],
        tally=Tally(),
        redactor=Redactor(),
    )
    (row,) = item_rows(rendered(report, width))
    assert joined(row, 4).startswith("DRIFT")
    assert "Owner:someone-else-entirely-with-a-long-name" in joined(row, 3).replace(" ", "")
    assert "(+1equal)" in joined(row, 3).replace(" ", "")

"""One plan, one count: `make plan` prints the total, and policy, scan, cost and the type check state what
they looked at in the same words and numbers."""

import io

from rich.console import Console

from tests.support import planned
from tooling.checks import policy
from tooling.checks.cost import __main__ as cost
from tooling.checks.scan.scan import EnvironmentScan, report
from tooling.checks.scan.tfplan import convert
from tooling.checks.types import check as types
from tooling.plan import summary
from tooling.plan.counts import count


def printed(action, *args) -> str:
    out = io.StringIO()
    action(*args, Console(file=out, width=400, emoji=False, highlight=False, color_system=None))
    return out.getvalue()


def test_the_dev_plan_is_counted_by_kind():
    dev = count(planned("dev"))
    everything = sum(len(layer["resources"]) for layer in planned("dev")["layers"])
    assert dev.everything == everything
    assert (dev.providers, dev.stacks) == (4, 4)  # one explicit provider per layer, one stack per layer
    assert dev.resources == sum(dev.by_package.values()) > 200
    assert set(dev.by_package) == {"aws", "random", "tls"}
    assert dev.resources_text() == (
        f"{dev.resources} resources (aws {dev.by_package['aws']}, random {dev.by_package['random']}, "
        f"tls {dev.by_package['tls']})"
    )


def test_every_command_states_the_same_count():
    plan = planned("dev")
    dev = count(plan)
    total = printed(summary.print_summary, plan).splitlines()[-1]
    assert total == f"dev: {dev.describe()}"
    assert f"checked {dev.resources_text()}, {dev.providers} providers and {dev.stack_references} stack references" in (
        printed(policy.report, "dev", plan)
    )
    typed = printed(types.report, "dev", plan)
    assert (
        f"{dev.resources} of {dev.resources} resources and {dev.providers} of {dev.providers} providers checked"
        in typed
    )
    conversion = convert("dev", plan)
    scan = EnvironmentScan("dev", conversion, {"summary": {"passed": 1, "failed": 0}}, 0, dev)
    assert f"dev: {dev.by_package['aws']} of {dev.resources_text()} converted to Terraform" in printed(report, scan)
    assert f"dev: from {cost.priced_resources(plan)} of its {dev.resources_text()}" in printed(
        lambda console: console.print(cost.side_by_side({"dev": plan}))
    )

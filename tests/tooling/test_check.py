"""`make check`: each environment planned once (the cache the test suites share), every offline check over
those plans, one summary table and one exit code; a failing check fails it, broadening needs a human."""

import copy
import io
import json
from typing import Any

import pytest
from rich.console import Console

from shared.environments import ENVIRONMENTS
from tests.support import planned
from tooling.checks import record, suite
from tooling.checks.parity import lower_environment
from tooling.checks.report import FOUND, UNEXPECTED, USAGE
from tooling.plan import engine


def test_make_check_plans_each_environment_once_and_passes_on_this_checkout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    planning: list[str] = []
    plan_environment = engine.plan_environment

    def counted(env: str, records: engine.RecordBuilder | None = None) -> dict[str, Any]:
        planning.append(env)
        return plan_environment(env, records)

    monkeypatch.setattr(engine, "plan_environment", counted)
    record.planned.cache_clear()

    assert suite.main([]) == 0, capsys.readouterr().out
    assert sorted(planning) == sorted(ENVIRONMENTS)
    summary = capsys.readouterr().out.split("make check: pass (exit 0)", 1)[1]
    for check in ("types", "policy", "parity", "scan", "cost", "broadening", "same code", "config keys"):
        assert f"│ {check} " in summary, check
    assert "dev/staging" in summary and "staging/prod" in summary and "0 stale waiver(s)" in summary


def _resource(plan: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for layer in plan["layers"] for r in layer["resources"] if r["urn"].endswith(f"::{name}")]
    return found


def test_an_undeclared_difference_fails_and_a_broader_grant_needs_a_human() -> None:
    prod = copy.deepcopy(planned("prod"))
    _resource(prod, "network-vpc")["inputs"]["enableDnsHostnames"] = False
    policy = _resource(prod, "flow-logs-role-policy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"][0]["Action"].append("logs:DeleteLogGroup")
    policy["inputs"]["policy"] = json.dumps(document)

    result = suite.evaluate({"staging": planned("staging"), "prod": prod}, ["prod"])
    printed = Console(file=io.StringIO(), width=200)
    outcomes = {(o.check, o.scope): o for o in suite.report(result, printed, full=False)}

    assert outcomes["parity", "staging/prod"].exit_code == UNEXPECTED
    assert outcomes["broadening", "prod"].exit_code == FOUND
    assert "1 grant(s) broaden against staging:plan" in outcomes["broadening", "prod"].detail
    assert ("types", "staging") not in outcomes  # staging is only what prod is compared with
    assert suite.worst_exit(list(outcomes.values())) == UNEXPECTED


def test_a_single_environment_is_checked_with_the_one_it_is_compared_with() -> None:
    assert list(suite.plans_for([ENVIRONMENTS[-1]])) == [lower_environment(ENVIRONMENTS[-1]), ENVIRONMENTS[-1]]
    assert list(suite.plans_for([ENVIRONMENTS[0]])) == [ENVIRONMENTS[0]]


def test_an_unknown_environment_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        suite.main(["qa"])
    assert exited.value.code == USAGE
    assert "unknown environment 'qa'; allowed: dev, staging, prod" in capsys.readouterr().err

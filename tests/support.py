"""Helpers for infrastructure tests: run layers' real `__main__.py` under the mock runtime."""

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.projects import qualified_stack_name
from shared.stack_files import DEFAULT_ORG, read_layer_config
from tests.across_workers import computed_once
from tooling.checks.record import offline_record, plan_environment
from tooling.plan import engine, stack_config
from tooling.plan.mock_runtime import LayerRun, run_program

Row = TypeVar("Row")
# What tests pass where an environment is expected but none of that name exists.
NO_SUCH_ENVIRONMENT = "nope"


class EnvironmentTableError(Exception):
    """A per-environment expectation table does not have exactly one row per environment."""


def per_environment(what: str, table: Mapping[str, Row]) -> dict[str, Row]:
    """An expectation table written out by hand, one row per environment of `shared.environments`.

    Such a table is a deliberate second source (the design, as the plan must show it), so it is
    checked where it is defined: a module whose table misses an environment, or names one that
    does not exist, fails to import and the run stops naming the table, instead of its tests
    quietly skipping the environment.
    """
    missing = [env for env in ENVIRONMENTS if env not in table]
    unknown = sorted(set(table) - set(ENVIRONMENTS))
    problems = [f"no row for {env}" for env in missing] + [f"a row for unknown {env!r}" for env in unknown]
    if problems:
        raise EnvironmentTableError(
            f"{what}: {', '.join(problems)}; it needs exactly one row per environment of "
            f"shared/environments.py ({', '.join(ENVIRONMENTS)})"
        )
    return {env: table[env] for env in ENVIRONMENTS}


def platform_value(env: str, key: str) -> str:
    """`platform:<key>` of an environment (the block is the same in every layer's stack file)."""
    return str(read_layer_config(DEPLOY_ORDER[0], env)[f"platform:{key}"])


def suffix_of(env: str) -> str:
    """The environment's `platform:environmentSuffix`: physical names end in `-<env>-<suffix>`."""
    return platform_value(env, "environmentSuffix")


@cache
def planned(env: str) -> dict[str, Any]:
    """The offline plan of one environment (all four layers), computed once per test run: one
    pytest-xdist worker plans it, the others read its JSON (the shape `make plan` writes). Callers
    treat it as read-only (copy it before changing it)."""
    plan: dict[str, Any] = computed_once(f"plan-{env}", lambda: plan_environment(env))
    engine.remember_record(env, offline_record(env, plan))  # what a plan of an environment promoted from it reads
    return plan


def layer_of(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(layer for layer in plan["layers"] if layer["name"] == name)


def resources(layer: dict[str, Any] | LayerRun, resource_type: str) -> list[dict[str, Any]]:
    items = layer.resources if isinstance(layer, LayerRun) else layer["resources"]
    return [r for r in items if r["type"] == resource_type]


def one(layer: dict[str, Any] | LayerRun, resource_type: str) -> dict[str, Any]:
    found = resources(layer, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


def run_layer(
    layer: str,
    env: str,
    overrides: dict[str, Any] | None = None,
    *,
    drop: tuple[str, ...] = (),
    extra_upstream: dict[str, dict[str, Any]] | None = None,
    body: Callable[[], object] | None = None,
) -> LayerRun:
    """Run one layer of `env` with its stack file changed by `overrides` (and keys in `drop` removed).

    The layers below it are planned first with their unchanged stack files, so its
    StackReferences resolve exactly as in `make plan`. `extra_upstream` answers further
    StackReferences (e.g. a peer environment); `body` replaces `__main__.py` for component tests.
    """
    config, secret_keys = stack_config(layer, env)
    config = {k: v for k, v in {**config, **(overrides or {})}.items() if k not in drop}
    upstream: dict[str, dict[str, Any]] = {}
    for below in DEPLOY_ORDER[: DEPLOY_ORDER.index(layer)]:
        upstream[qualified_stack_name(DEFAULT_ORG, below, env)] = layer_of(planned(env), below)["outputs"]
    upstream |= extra_upstream or {}
    region = str(config.get("platform:region", ""))
    return run_program(
        project=layer, stack=env, config=config, region=region, upstream=upstream, secret_keys=secret_keys, body=body
    )

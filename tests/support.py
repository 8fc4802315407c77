"""Helpers for infrastructure tests: run layers' real `__main__.py` under the mock runtime."""

from collections.abc import Callable
from functools import cache
from typing import Any

from shared.contracts import DEPLOY_ORDER
from shared.projects import qualified_stack_name
from shared.stack_files import DEFAULT_ORG
from tests.across_workers import computed_once
from tooling.plan import plan_environment, stack_config
from tooling.plan.engine import offline_record
from tooling.plan.mock_runtime import LayerRun, run_program


@cache
def planned(env: str) -> dict[str, Any]:
    """The offline plan of one environment (all four layers), computed once per test run: one
    pytest-xdist worker plans it, the others read its JSON (the shape `make plan` writes)."""
    plan: dict[str, Any] = computed_once(f"plan-{env}", lambda: plan_environment(env))
    offline_record(env, plan)  # what planning leaves behind for the environments promoted from this one
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

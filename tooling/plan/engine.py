"""The offline plan of one environment: its four layers, in deploy order, under Pulumi's mock runtime.

No CLI, no AWS, no network. Each layer's StackReferences are answered with the outputs the
layer below produced in the same run. The result has the shape of `pulumi stack export`.
"""

from dataclasses import asdict, dataclass
from typing import Any

from shared.contracts import DEPLOY_ORDER
from shared.projects import project_name, qualified_stack_name
from shared.stack_files import DEFAULT_ORG, REPO, read_layer_config
from tooling.plan.mock_runtime import SECRET_PLACEHOLDER, run_program

PLAN_DIR = REPO / "build" / "plan"


@dataclass
class LayerPlan:
    name: str
    project: str
    stack: str
    resources: list[dict[str, Any]]
    outputs: dict[str, Any]


def stack_config(layer: str, env: str) -> tuple[dict[str, Any], list[str]]:
    """A layer's stack file as the engine would pass it; secrets become a visible placeholder."""
    config = read_layer_config(layer, env)
    secret_keys = [k for k, v in config.items() if isinstance(v, dict)]
    return {k: (SECRET_PLACEHOLDER if k in secret_keys else v) for k, v in config.items()}, secret_keys


def in_stack_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as `pulumi stack export` orders them (every parent, provider and dependency before the
    resources that use it), ties broken by URN. The mock runtime registers resources concurrently, so
    without this the same program would give a different order, and a different plan file, each run."""
    by_urn = {r["urn"]: r for r in records}

    def used(record: dict[str, Any]) -> set[str]:
        provider = (record.get("provider") or "").rsplit("::", 1)[0]  # a provider reference is `<urn>::<id>`
        return {u for u in (record.get("parent"), provider, *record["dependencies"]) if u in by_urn} - {record["urn"]}

    waiting = {urn: used(record) for urn, record in by_urn.items()}
    ordered: list[dict[str, Any]] = []
    while waiting:
        ready = sorted(urn for urn, needs in waiting.items() if not needs)
        if not ready:
            raise ValueError(f"the plan's resources depend on each other in a cycle: {sorted(waiting)[:3]}")
        urn = ready[0]
        ordered.append(by_urn[urn])
        del waiting[urn]
        for needs in waiting.values():
            needs.discard(urn)
    return ordered


def stack_name(layer: str, env: str, config: dict[str, Any]) -> str:
    """The fully qualified name the layer's stack has, and the one StackReferences read."""
    return qualified_stack_name(str(config.get("platform:stackOrg", DEFAULT_ORG)), layer, env)


# Offline promotion records by environment, built from each environment's offline plan as it is planned.
_OFFLINE_RECORDS: dict[str, dict[str, Any]] = {}
OFFLINE_COMMIT = "offline-plan"


def offline_record(env: str, plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """The promotion record `make deploy ENV=<env>` would write, from `env`'s offline plan: what the
    higher environment's plan reads (shared/stack_refs.PromotionRecordReference) instead of a backend."""
    if plan is None and env in _OFFLINE_RECORDS:
        return _OFFLINE_RECORDS[env]
    from tooling.checks.record import build_record  # noqa: PLC0415 (tooling.checks imports the plan engine)

    plan = plan or plan_environment(env)
    outputs = {layer["name"]: layer["outputs"] for layer in plan["layers"]}
    record = build_record(
        env, preview=plan, outputs_by_layer=outputs, commit=OFFLINE_COMMIT, clean=True, deployer="offline-plan"
    )
    _OFFLINE_RECORDS[env] = record.outputs() | {"recordedAt": "offline"}
    return _OFFLINE_RECORDS[env]


def promotion_upstream(env: str) -> dict[str, dict[str, Any]]:
    """The lower environment's record, when `platform:promotedFrom` names one (answered offline)."""
    config, _ = stack_config(DEPLOY_ORDER[0], env)
    source = str(config.get("platform:promotedFrom", "none"))
    if source == "none":
        return {}
    from shared.promotion import RECORD_PROJECT  # noqa: PLC0415

    return {stack_name(RECORD_PROJECT, source, config): offline_record(source)}


def plan_environment(env: str) -> dict[str, Any]:
    upstream: dict[str, dict[str, Any]] = promotion_upstream(env)
    layers: list[LayerPlan] = []
    for layer in DEPLOY_ORDER:
        config, secret_keys = stack_config(layer, env)
        region = str(config.get("platform:region", ""))
        run = run_program(
            project=layer, stack=env, config=config, region=region, upstream=upstream, secret_keys=secret_keys
        )
        fqn = stack_name(layer, env, config)
        upstream[fqn] = run.outputs
        layers.append(LayerPlan(layer, project_name(layer), fqn, in_stack_order(run.resources), run.outputs))
    plan = {"environment": env, "layers": [asdict(layer) for layer in layers]}
    _OFFLINE_RECORDS.pop(env, None)
    offline_record(env, plan)
    return plan

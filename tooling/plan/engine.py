"""The offline plan of one environment: its four layers, in deploy order, under Pulumi's mock runtime.

No CLI, no AWS, no network. Each layer's StackReferences are answered with the outputs the
layer below produced in the same run. The result has the shape of `pulumi stack export`.
"""

from collections.abc import Callable, Mapping
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


def stack_config(layer: str, env: str, overrides: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """A layer's configuration as the engine would pass it; secrets become a visible placeholder.
    `overrides` (`namespace:key` -> value as the engine passes it) replace the stack files' values of the
    layer's own and the `platform:` namespace, as `pulumi config set` would."""
    config = read_layer_config(layer, env)
    config |= {key: value for key, value in (overrides or {}).items() if key.split(":")[0] in (layer, "platform")}
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


RecordBuilder = Callable[[str, dict[str, Any]], dict[str, Any]]
"""(environment, its offline plan) -> the outputs of the promotion record a deploy of it would write.
The checks build it (`tooling.checks.record.offline_record`): the engine only answers the read with it."""

# Offline promotion records by environment, built from each environment's offline plan as it is planned.
_OFFLINE_RECORDS: dict[str, dict[str, Any]] = {}


def remember_record(env: str, record: dict[str, Any]) -> None:
    """Keep `env`'s offline record for the plans that read it, when `env`'s plan was made elsewhere (another
    test worker's, read from its JSON) rather than by `plan_environment` here."""
    _OFFLINE_RECORDS[env] = record


def promotion_upstream(env: str, records: RecordBuilder | None) -> dict[str, dict[str, Any]]:
    """The lower environment's record, when `platform:promotedFrom` names one (answered offline)."""
    config, _ = stack_config(DEPLOY_ORDER[0], env)
    source = str(config.get("platform:promotedFrom", "none"))
    if source == "none":
        return {}
    if records is None:
        raise ValueError(
            f"{env} is promoted from {source}: its plan reads {source}'s promotion record, so plan it with "
            "tooling.checks.record.plan_environment"
        )
    if source not in _OFFLINE_RECORDS:
        _OFFLINE_RECORDS[source] = records(source, plan_environment(source, records))
    from shared.promotion import RECORD_PROJECT  # noqa: PLC0415

    return {stack_name(RECORD_PROJECT, source, config): _OFFLINE_RECORDS[source]}


def plan_environment(
    env: str, records: RecordBuilder | None = None, overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`env`'s offline plan; `records` answers a promoted environment's read of its source's record;
    `overrides` replace stack-config values (a what-if plan, e.g. `make bench`'s thousand merchants)."""
    upstream: dict[str, dict[str, Any]] = promotion_upstream(env, records)
    layers: list[LayerPlan] = []
    for layer in DEPLOY_ORDER:
        config, secret_keys = stack_config(layer, env, overrides)
        region = str(config.get("platform:region", ""))
        run = run_program(
            project=layer, stack=env, config=config, region=region, upstream=upstream, secret_keys=secret_keys
        )
        fqn = stack_name(layer, env, config)
        upstream[fqn] = run.outputs
        layers.append(LayerPlan(layer, project_name(layer), fqn, in_stack_order(run.resources), run.outputs))
    plan = {"environment": env, "layers": [asdict(layer) for layer in layers]}
    if records is not None and not overrides:  # a what-if plan is no environment's record
        _OFFLINE_RECORDS[env] = records(env, plan)
    return plan

"""Run a layer's real `__main__.py` in-process under Pulumi's mock runtime and record what it declares.

The record has the shape of a resource in `pulumi stack export` (camelCase inputs and outputs,
urn, parent, provider, dependencies, protect), so offline plans and real exports read alike.
"""

import asyncio
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockMonitor, set_mocks
from pulumi.runtime.proto import resource_pb2

from shared.projects import project_name
from shared.stack_files import REPO
from tooling.plan.fake_aws import SECRET_PLACEHOLDER, FakeAws

UNKNOWN_PLACEHOLDER = "[unknown]"


def _plain(value: Any) -> Any:
    """JSON-safe copy of deserialized Pulumi values: secrets masked, unknowns named, and whole numbers as
    integers, as `pulumi stack export` writes them (the engine's wire format has only floats: 30.0)."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_PLACEHOLDER
        if rpc._special_sig_key in value:  # resource reference, asset or archive
            return value.get("urn") or value.get("path") or value.get("hash") or "[asset]"
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Asset | pulumi.Archive):  # e.g. a function's FileArchive
        return _asset_reference(value)
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value == rpc.UNKNOWN:
        return UNKNOWN_PLACEHOLDER
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _asset_reference(value: pulumi.Asset | pulumi.Archive) -> str:
    """A file asset or archive as its repository-relative path (the same in every environment)."""
    path = getattr(value, "path", None)
    if isinstance(path, str):
        try:
            return Path(path).resolve().relative_to(REPO).as_posix()
        except ValueError:
            return path
    return "[asset]"


class RecordingMonitor(MockMonitor):
    """MockMonitor that also keeps the resource options the mocks never see."""

    def __init__(self, mocks: FakeAws) -> None:
        super().__init__(mocks)
        self.records: list[dict[str, Any]] = []

    def GetDeploymentInfo(self, request: Any) -> Any:
        """Without alias specs, the SDK sends each alias as the full URN it stands for (its parent's aliases
        included), which is what the plan records."""
        info = super().GetDeploymentInfo(request)
        features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self._record(request, response.urn, request.object, custom=bool(request.custom))
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self._record(request, response.urn, request.properties, custom=True)
        return response

    def _record(self, request: Any, urn: str, properties: Any, custom: bool) -> None:
        inputs = rpc.deserialize_properties(properties, keep_unknowns=True)
        registration = self.resources.get(urn)
        secret_outputs = set(getattr(request, "additionalSecretOutputs", []))
        outputs = {  # as a stack export shows them: what the resource marks secret is never in plain text
            key: SECRET_PLACEHOLDER if key in secret_outputs else value
            for key, value in (registration.state if registration else {}).items()
        }
        self.records.append(
            {
                "urn": urn,
                "id": registration.id if registration else None,
                "type": request.type,
                "custom": custom,
                "parent": request.parent or None,
                "provider": request.provider or None,
                "dependencies": sorted(set(getattr(request, "dependencies", []))),
                "inputs": _plain(inputs),
                "outputs": _plain(outputs),
                "protect": bool(getattr(request, "protect", False)),
                "ignoreChanges": list(getattr(request, "ignoreChanges", [])),
                "retainOnDelete": bool(getattr(request, "retainOnDelete", False)),
                "additionalSecretOutputs": sorted(getattr(request, "additionalSecretOutputs", [])),
                # The earlier URNs the code says this resource had (`aliases`): renamed, not replaced.
                "aliases": sorted(
                    {*getattr(request, "aliasURNs", []), *(a.urn for a in getattr(request, "aliases", []))} - {""}
                ),
            }
        )


@dataclass
class LayerRun:
    project: str
    stack: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


def run_program(
    *,
    project: str,
    stack: str,
    config: dict[str, Any],
    region: str,
    upstream: dict[str, dict[str, Any]],
    secret_keys: list[str] | None = None,
    body: Callable[[], object] | None = None,
) -> LayerRun:
    """Execute `<project>.__main__` (or `body`, for component tests) under mocks.

    `project` is the layer's directory; the program runs as its Pulumi project (`payments-<layer>`), as
    under the CLI, so URNs and `pulumi.get_project()` are the deployed ones. Raises what the program raised.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.reset_options(project=project_name(project), stack=stack, preview=False)
        set_all_config({k: v for k, v in config.items()}, secret_keys or [])
        mocks = FakeAws(region, upstream)
        monitor = RecordingMonitor(mocks)
        set_mocks(mocks, project=project_name(project), stack=stack, preview=False, monitor=monitor)
        run = LayerRun(project, stack)

        def program() -> pulumi.Output[Any]:
            if body is None:
                runpy.run_module(f"{project}.__main__", run_name="__main__")
            else:
                body()
            root = settings.get_root_resource()
            exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})

            async def capture() -> None:  # serialized as the engine receives them: a secret stays marked
                for key, value in exported.items():
                    run.outputs[key] = await rpc.serialize_property(value, [], key)

            return pulumi.Output.from_input(capture())

        pulumi.runtime.test(program)()
        run.resources = monitor.records
        run.outputs = _plain(run.outputs)
        return run
    finally:
        loop.close()
        asyncio.set_event_loop(None)

"""Deployed stacks for the fake `pulumi` (tests/tooling/fake_bin/pulumi), built from the offline plans.

`World(root).deploy(env)` writes, for every layer of `env`, what a clean deployment looks like:
the state (`stack export --show-secrets`: the plan's resources, each secret wrapped with Pulumi's
secret signature around a recognisable plaintext), the code (the plan's resources: nothing to
deploy) and the cloud (the state: no drift). The other methods make one thing differ.
"""

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.projects import project_name
from tests.support import planned
from tooling.checks.redact import SECRET_SIG, SECRET_SIG_KEY
from tooling.plan.mock_runtime import SECRET_PLACEHOLDER

STATE_KEYS = (
    "urn",
    "id",
    "type",
    "custom",
    "parent",
    "provider",
    "dependencies",
    "inputs",
    "outputs",
    "protect",
    "retainOnDelete",
    "ignoreChanges",
)


def plaintext_secret(env: str, urn: str) -> str:
    return f"plaintext-secret-{env}-{urn.rsplit('::', 1)[-1]}"


def secret(plaintext: str) -> dict[str, str]:
    """A value as `pulumi stack export --show-secrets` prints a secret."""
    return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(plaintext)}


def _wrap_secrets(value: Any, plaintext: str) -> Any:
    if value == SECRET_PLACEHOLDER:
        return secret(plaintext)
    if isinstance(value, dict):
        return {k: _wrap_secrets(v, plaintext) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap_secrets(v, plaintext) for v in value]
    return value


def deployed(env: str, resource: dict[str, Any]) -> dict[str, Any]:
    """A plan resource as `pulumi stack export --show-secrets` prints it."""
    plaintext = plaintext_secret(env, resource["urn"])
    return {key: _wrap_secrets(copy.deepcopy(resource.get(key)), plaintext) for key in STATE_KEYS}


def _named(urn: str, suffix: str) -> bool:
    """`name`, or `type::name` where a component and its child share the name."""
    return urn.endswith(suffix) and urn[-len(suffix) - 1] in ":$"


@dataclass
class World:
    root: Path

    def stack_dir(self, env: str, layer: str) -> Path:
        return self.root / "organization" / project_name(layer) / env

    def _read(self, env: str, layer: str, name: str) -> Any:
        return json.loads((self.stack_dir(env, layer) / name).read_text())

    def _write(self, env: str, layer: str, name: str, value: Any) -> None:
        (self.stack_dir(env, layer) / name).write_text(json.dumps(value, indent=1))

    def deploy(self, env: str, plan: dict[str, Any] | None = None) -> "World":
        for layer in (plan or planned(env))["layers"]:
            directory = self.stack_dir(env, layer["name"])
            directory.mkdir(parents=True, exist_ok=True)
            state = [deployed(env, r) for r in layer["resources"]]
            self._write(env, layer["name"], "state.json", {"version": 3, "deployment": {"resources": state}})
            self._write(env, layer["name"], "code.json", state)
            self._write(env, layer["name"], "cloud.json", state)
            self._write(env, layer["name"], "config.json", {})
            self._write(env, layer["name"], "outputs.json", layer.get("outputs") or {})
        return self

    def _edit(self, env: str, layer: str, name: str, urn_suffix: str, *, side: str, prop: str, value: Any) -> None:
        document = self._read(env, layer, name)
        resources = document["deployment"]["resources"] if name == "state.json" else document
        (resource,) = [r for r in resources if _named(r["urn"], urn_suffix)]
        resource[side][prop] = value
        self._write(env, layer, name, document)

    def change_in_cloud(self, env: str, layer: str, urn_suffix: str, prop: str, value: Any) -> None:
        """Someone changed a property in the console: the cloud's outputs differ from the state."""
        self._edit(env, layer, "cloud.json", urn_suffix, side="outputs", prop=prop, value=value)

    def delete_from_cloud(self, env: str, layer: str, urn_suffix: str) -> None:
        cloud = [r for r in self._read(env, layer, "cloud.json") if not _named(r["urn"], urn_suffix)]
        self._write(env, layer, "cloud.json", cloud)

    def change_code(self, env: str, layer: str, urn_suffix: str, prop: str, value: Any) -> None:
        """The program declares another value than the one deployed (changed, not deployed)."""
        self._edit(env, layer, "code.json", urn_suffix, side="inputs", prop=prop, value=value)

    def change_state(self, env: str, layer: str, urn_suffix: str, prop: str, value: Any) -> None:
        """What is deployed differs (an input in the state, as if deployed from other code)."""
        self._edit(env, layer, "state.json", urn_suffix, side="inputs", prop=prop, value=value)

    def set_secret_config(self, env: str, layer: str, key: str, plaintext: str) -> None:
        config = self._read(env, layer, "config.json")
        config[key] = {"value": plaintext, "secret": True}
        self._write(env, layer, "config.json", config)

    def undeploy(self, env: str, layer: str) -> None:
        (self.stack_dir(env, layer) / "state.json").unlink()

"""Environment parity: two environments' plans may differ only where stack config declares it.

Plans are compared resource by resource (URNs without the stack), after replacing identity
values (environment, suffix, region) with placeholders and every provider-computed value (ids,
ARNs, endpoints) with a reference to the resource that computed it. What is left must be
explained by a key whose value differs between the two stack files and whose entry in
`shared/variations.py` declares that difference.

    python -m tooling.checks.parity staging prod     (make parity: dev/staging and staging/prod)
"""

import json
import re
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any

from rich.console import Console
from rich.table import Table

from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.variations import IDENTITY_KEYS, VARIATIONS
from tooling.plan import plan_environment, stack_config

PAIRS: tuple[tuple[str, str], ...] = (("dev", "staging"), ("staging", "prod"))
OPTIONS = ("protect", "retainOnDelete", "ignoreChanges")
COMPUTING_PACKAGES = ("aws:", "random:")
# What providers compute: ARNs, endpoints and URLs, prefixed ids (vpc-0abc...), key ids, API ids.
COMPUTED = re.compile(
    r"^(arn:.+|https?://.+|.+\.amazonaws\.com(:\d+)?|[a-z0-9]+-[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{10})$"
)


_DEVICE_DIR, _DEVICE_DIR_MARK = "/dev/", "\x00LINUX-DEVICES\x00"


@dataclass(frozen=True)
class Difference:
    layer: str
    resource: str
    type: str
    what: str  # an input property, an option, or "exists"
    left: Any
    right: Any
    declared_by: tuple[str, ...]


def declared_config(env: str) -> dict[str, Any]:
    """Every layer's stack config of one environment (the platform block is the same in all)."""
    merged: dict[str, Any] = {}
    for layer in DEPLOY_ORDER:
        merged |= stack_config(layer, env)[0]
    return merged


def differing_keys(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(left) | set(right) if left.get(k) != right.get(k) and k not in IDENTITY_KEYS)


class Normalizer:
    """Rewrites one environment's plan so that only meaningful differences remain."""

    def __init__(self, plan: dict[str, Any], config: dict[str, Any]) -> None:
        identity = {str(config[k]): f"<{k.split(':')[1]}>" for k in IDENTITY_KEYS}
        # Longest first, so that `us-east-2` is replaced before `dev` could match inside it.
        self._identity = sorted(identity.items(), key=lambda kv: -len(kv[0]))
        self._computed: dict[str, str] = {}
        for layer in plan["layers"]:
            for resource in layer["resources"]:
                self._collect(self.key(resource["urn"]), resource)
        self._computed_by_length = sorted(self._computed.items(), key=lambda kv: -len(kv[0]))

    def key(self, urn: str) -> str:
        return self.text(urn.split("::", 2)[2])

    def _collect(self, key: str, resource: dict[str, Any]) -> None:
        if not resource["type"].startswith(COMPUTING_PACKAGES):
            return  # stacks, stack references and providers only pass values on
        inputs = json.dumps(resource["inputs"])
        if isinstance(resource.get("id"), str) and resource["id"]:
            self._computed.setdefault(resource["id"], f"<{key}.id>")
        for path, value in _leaves(resource["outputs"]):
            if isinstance(value, str) and COMPUTED.match(value) and json.dumps(value) not in inputs:
                self._computed.setdefault(value, f"<{key}.{path}>")

    def text(self, value: str) -> str:
        # Linux device paths (`/dev/xvda` in launch templates) are not the dev environment's name.
        value = value.replace(_DEVICE_DIR, _DEVICE_DIR_MARK)
        for raw, placeholder in self._identity:
            value = value.replace(raw, placeholder)
        return value.replace(_DEVICE_DIR_MARK, _DEVICE_DIR)

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            if value in self._computed:
                return self._computed[value]
            for raw, placeholder in self._computed_by_length:
                if raw in value:
                    value = value.replace(raw, placeholder)
            return self.text(value)
        return value

    def resources(self, plan: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
        """URN key -> (layer, resource type, normalized inputs and options); the type is kept apart
        from the inputs, since some resources have a `type` input of their own (Route 53 records)."""
        normalized = {}
        for layer in plan["layers"]:
            for resource in layer["resources"]:
                inputs = self.value(resource["inputs"])
                inputs |= {f"<{option}>": resource.get(option) for option in OPTIONS}
                normalized[self.key(resource["urn"])] = (layer["name"], resource["type"], inputs)
        return normalized


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def _explained_property(resource_type: str, prop: str, keys: list[str]) -> tuple[str, ...]:
    target = f"{resource_type}.{prop}"
    return tuple(k for k in keys if any(fnmatch(target, p) for p in VARIATIONS.get(k, _NONE).properties))


def _explained_count(resource_type: str, key: str, keys: list[str]) -> tuple[str, ...]:
    return tuple(
        k for k in keys if any(fnmatch(resource_type, p) or fnmatch(key, p) for p in VARIATIONS.get(k, _NONE).counts)
    )


def _explained_protect(keys: list[str]) -> tuple[str, ...]:
    return tuple(k for k in keys if VARIATIONS.get(k, _NONE).protect)


class _NoVariation:
    properties: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    protect = False


_NONE = _NoVariation()


def compare(left_env: str, right_env: str, left_plan: dict[str, Any], right_plan: dict[str, Any]) -> list[Difference]:
    left_config, right_config = declared_config(left_env), declared_config(right_env)
    keys = differing_keys(left_config, right_config)
    left = Normalizer(left_plan, left_config).resources(left_plan)
    right = Normalizer(right_plan, right_config).resources(right_plan)
    differences = []
    for key in sorted(set(left) | set(right)):
        layer, left_type, left_inputs = left.get(key, (None, None, None))
        right_layer, right_type, right_inputs = right.get(key, (None, None, None))
        resource_type = str(left_type or right_type)
        if left_inputs is None or right_inputs is None:
            differences.append(
                Difference(
                    layer or right_layer or "",
                    key,
                    resource_type,
                    "exists",
                    left_inputs is not None,
                    right_inputs is not None,
                    _explained_count(resource_type, key, keys),
                )
            )
            continue
        for prop in sorted(set(left_inputs) | set(right_inputs)):
            a, b = left_inputs.get(prop), right_inputs.get(prop)
            if a == b:
                continue
            option = prop.strip("<>") if prop.startswith("<") else None
            explained = (
                (_explained_protect(keys) if option == "protect" else ())
                if option
                else _explained_property(resource_type, prop, keys)
            )
            differences.append(Difference(layer or "", key, resource_type, option or prop, a, b, explained))
    return differences


def report(left_env: str, right_env: str, differences: list[Difference], console: Console) -> int:
    undeclared = [d for d in differences if not d.declared_by]
    table = Table(title=f"{left_env} vs {right_env}: {len(differences)} differences, {len(undeclared)} undeclared")
    for column in ("layer", "resource", "what", left_env, right_env, "declared by"):
        table.add_column(column, overflow="fold")
    for d in sorted(differences, key=lambda d: (bool(d.declared_by), d.layer, d.resource)):
        table.add_row(
            d.layer,
            d.resource.rsplit("::", 1)[-1],
            d.what,
            _short(d.left),
            _short(d.right),
            ", ".join(d.declared_by) or "[red]UNDECLARED[/red]",
        )
    console.print(table)
    return len(undeclared)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def main(argv: list[str]) -> int:
    console = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160)
    if argv and (len(argv) != 2 or not set(argv) <= set(ENVIRONMENTS)):
        console.print(f"usage: python -m tooling.checks.parity [LEFT RIGHT], each one of {', '.join(ENVIRONMENTS)}")
        return 2
    pairs = [(argv[0], argv[1])] if argv else list(PAIRS)
    plans = {env: plan_environment(env) for pair in pairs for env in pair}
    undeclared = sum(report(a, b, compare(a, b, plans[a], plans[b]), console) for a, b in pairs)
    if undeclared:
        console.print(
            f"[red]{undeclared} undeclared difference(s): declare them in shared/variations.py "
            "or make the code the same for every environment[/red]"
        )
        return 1
    console.print("[green]environments differ only where their stack files declare it[/green]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

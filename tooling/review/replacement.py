"""Which property changes make the provider replace a resource, from the provider's own Pulumi schema.

pulumi-aws, pulumi-random and pulumi-tls are bridged Terraform providers: which properties force a new
resource (Terraform's `ForceNew`) is compiled into each provider plugin and published in its package
schema as `willReplaceOnChanges`. The installed Python SDKs do not carry it. So the schema is read
from, in this order:

1. schema files given on the command line (`make review SCHEMA=aws.json`): `pulumi package get-schema
   aws@<version> > aws.json` on any machine with the Pulumi CLI;
2. the Pulumi CLI on this machine, when the provider plugin of the installed SDK's version is already
   installed (`pulumi package get-schema`, automatic plugin downloads switched off: nothing is fetched).

A schema whose version is not the installed SDK's is refused. Without a schema for a package, whether
its resources would be replaced cannot be known offline, and the review says so (`known` is False).
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")
GET_SCHEMA_TIMEOUT_SECONDS = 180


class SchemaError(ValueError):
    """A schema file that is not a Pulumi package schema of an installed SDK's version."""


def package_of(resource_type: str) -> str:
    """`aws:rds/instance:Instance` -> `aws`; providers (`pulumi:providers:aws`) -> `aws`."""
    return resource_type.removeprefix("pulumi:providers:").split(":")[0]


def installed_version(package: str) -> str | None:
    try:
        return metadata.version(f"pulumi-{package}")
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class PackageSchema:
    """The parts of one provider's schema that say what replaces: resources and object types."""

    name: str
    version: str
    source: str
    resources: Mapping[str, Any]
    types: Mapping[str, Any]

    @classmethod
    def parse(cls, document: Mapping[str, Any], source: str) -> "PackageSchema":
        if not isinstance(document.get("resources"), Mapping) or not document.get("name"):
            raise SchemaError(f"{source}: not a Pulumi package schema (no name or resources)")
        name, version = str(document["name"]), str(document.get("version", ""))
        installed = installed_version(name)
        if installed is None:
            raise SchemaError(f"{source}: schema of {name}, but no pulumi-{name} SDK is installed")
        if version.lstrip("v") != installed:
            raise SchemaError(f"{source}: schema of {name} {version or '(no version)'}, installed SDK {installed}")
        return cls(name, installed, source, document["resources"], document.get("types") or {})

    def forces_replacement(self, resource_type: str, path: str) -> bool | None:
        """Whether changing `path` (`instanceClass`, `vpcConfig.subnetIds`, `ingress[0].fromPort`) replaces a
        resource of this type; None when the schema does not know the resource or the property."""
        if resource_type.startswith("pulumi:providers:"):
            return False  # a provider's own configuration changes in place
        resource = self.resources.get(resource_type)
        if resource is None:
            return None
        properties: Mapping[str, Any] = resource.get("inputProperties") or {}
        spec: Mapping[str, Any] | None = None
        for part in PATH_PART.findall(path):
            if part.startswith("["):
                spec = (spec or {}).get("items") or {}
            else:
                if spec is not None:
                    properties = self._object_properties(spec)
                if part not in properties:
                    return None if spec is None else False  # a free-form map's key, or a name the schema lacks
                spec = properties[part]
            if spec.get("willReplaceOnChanges"):
                return True
        return False

    def _object_properties(self, spec: Mapping[str, Any]) -> Mapping[str, Any]:
        reference = str(spec.get("$ref", ""))
        if reference.startswith("#/types/"):
            target = self.types.get(reference.removeprefix("#/types/").replace("%2F", "/")) or {}
            return target.get("properties") or {}
        additional = spec.get("additionalProperties")
        if isinstance(additional, Mapping):
            return self._object_properties(additional)
        return spec.get("properties") or {}


@dataclass
class ReplacementRules:
    """Schemas by package, and why a package has none."""

    schemas: dict[str, PackageSchema] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # package -> why its schema is not available

    def forces_replacement(self, resource_type: str, path: str) -> bool | None:
        schema = self.schemas.get(package_of(resource_type))
        return None if schema is None else schema.forces_replacement(resource_type, path)

    def describe(self) -> str:
        known = [f"{s.name} {s.version} ({s.source})" for s in self.schemas.values()]
        by_reason: dict[str, list[str]] = {}
        for package, why in sorted(self.missing.items()):
            by_reason.setdefault(why, []).append(package)
        unknown = [f"cannot be known offline for {', '.join(packages)} ({why})" for why, packages in by_reason.items()]
        return (
            "; ".join(([f"provider schemas: {', '.join(known)}"] if known else []) + unknown) or "no provider resources"
        )


def _from_cli(package: str, version: str) -> tuple[Mapping[str, Any] | None, str]:
    """`pulumi package get-schema <package>@<version>`, only when that plugin is installed already."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return None, "no schema file given and no Pulumi CLI on PATH"
    env = {**os.environ, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        done = subprocess.run(
            [pulumi, "package", "get-schema", f"{package}@{version}"],
            capture_output=True,
            text=True,
            env=env,
            timeout=GET_SCHEMA_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"pulumi package get-schema failed: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"plugin {package} {version} not installed for the Pulumi CLI ({last[:200]})"
    try:
        return json.loads(done.stdout), f"pulumi package get-schema {package}@{version}"
    except json.JSONDecodeError:
        return None, "pulumi package get-schema printed no JSON"


def read_schemas(schema_files: Sequence[Path]) -> dict[str, PackageSchema]:
    """The schema files given on the command line, by package. Raises SchemaError for a file that cannot be
    used (a usage error: the review stops before planning anything)."""
    schemas = {}
    for path in schema_files:
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise SchemaError(f"{path}: cannot read a JSON schema ({exc})") from exc
        schema = PackageSchema.parse(document, str(path))
        schemas[schema.name] = schema
    return schemas


def load_rules(
    packages: Iterable[str], schemas: Mapping[str, PackageSchema] | None = None, cache_dir: Path | None = None
) -> ReplacementRules:
    """Replacement rules for `packages` (those the plans declare resources of): the given schemas, else the
    Pulumi CLI's (kept in `cache_dir`), else why they cannot be known."""
    rules = ReplacementRules(schemas=dict(schemas or {}))
    for package in sorted(set(packages) - set(rules.schemas)):
        version = installed_version(package)
        if version is None:
            rules.missing[package] = "no installed SDK"
            continue
        cached = cache_dir / f"schema-{package}-{version}.json" if cache_dir else None
        if cached is not None and cached.is_file():
            rules.schemas[package] = PackageSchema.parse(json.loads(cached.read_text()), str(cached))
            continue
        document, how = _from_cli(package, version)
        if document is None:
            rules.missing[package] = how
            continue
        rules.schemas[package] = PackageSchema.parse(document, how)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(document))
    return rules

"""Every IAM policy document of a plan linted with parliament, offline, through its Python API.

A document is any string input that parses as a JSON object with a `Statement`, wherever it sits
(role and inline policies, assume-role policies, key, bucket, queue and topic policies, endpoint and
API policies, in resources added later too). Each is linted with `analyze_policy_string` (parliament's
CLI needs a terminal); `enhance_finding` adds the severity and title. A finding's resource is the
Terraform address of the resource holding the document plus the attribute (`aws_kms_key.data_key_key.policy`).
"""

import json
import warnings
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from typing import Any

with warnings.catch_warnings():
    # parliament 1.6.4 imports pkg_resources (setuptools pinned below 82 for it), which warns on every
    # `make scan`, `make check` and `make bench`: a fact of the pin, not of the plan being scanned.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from parliament import analyze_policy_string, enhance_finding

from tooling.checks.scan.findings import Finding
from tooling.checks.scan.tfplan import Conversion
from tooling.checks.scan.tftypes import snake


def parliament_version() -> str:
    return version("parliament")


def policy_documents(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(attribute path in Terraform names, document) of every policy document in a resource's inputs."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from policy_documents(item, (*path, snake(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from policy_documents(item, (*path, str(index)))
    elif isinstance(value, str) and '"Statement"' in value:
        try:
            document = json.loads(value)
        except ValueError:
            return
        if isinstance(document, dict) and "Statement" in document:
            yield ".".join(path), value


def lint(conversion: Conversion, plan: Mapping[str, Any]) -> tuple[int, list[Finding]]:
    """(documents linted, findings) of one environment's plan."""
    documents = 0
    findings: list[Finding] = []
    for layer in plan["layers"]:
        for record in layer["resources"]:
            address = conversion.addresses.get(record["urn"])
            if address is None:
                continue
            for attribute, document in policy_documents(record["inputs"]):
                documents += 1
                policy = analyze_policy_string(document, ignore_private_auditors=True)
                for raw in policy.findings:
                    finding = enhance_finding(raw)
                    findings.append(
                        Finding(
                            scanner="parliament",
                            check=finding.issue,
                            title=str(getattr(finding, "title", "") or finding.issue),
                            environment=conversion.environment,
                            resource=f"{address}.{attribute}",
                            detail=json.dumps(finding.detail, default=str)
                            if not isinstance(finding.detail, str)
                            else finding.detail,
                            severity=str(getattr(finding, "severity", "")),
                        )
                    )
    return documents, findings

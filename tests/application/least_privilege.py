"""Least privilege, checked: what each role must be granted, from recorded calls and the plan.

A recorded call (`testkit.aws_actions`) names a concrete resource: a table name, a queue URL, a
secret ARN, a parameter name. It becomes an environment-independent `Access` by the function
variable that named it (`TRANSACTIONS_TABLE_NAME`, `KEY_HASH_PARAMETER_NAME`, ...) or, for the
worker's queue polled by the event source mapping, `EVENT_SOURCE`. In each environment's plan that
variable's value leads to the planned resource and its ARN and encryption key. The role must then grant exactly:

- each recorded action on the resource it touched (S3 objects: `<bucket arn>/<key>`; a database user
  at a proxy: `arn:aws:rds-db:...:dbuser:<proxy id>/<user>`);
- the KMS actions the service calls for the caller on that resource's key (`IMPLIED_KMS_ACTIONS`);
- what Lambda does with the role given the planned function (`LAMBDA_SERVICE_ACTIONS`: its log
  group, its dead-letter target, its environment key);
- the actions without resource-level permissions (`RESOURCELESS_ACTIONS`) its configuration needs:
  ENIs for a function in a VPC, X-Ray for active tracing; on `"*"`.

A grant no requirement uses is as much a failure as a requirement nothing grants.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from application.permissions import IMPLIED_KMS_ACTIONS, LAMBDA_SERVICE_ACTIONS, RESOURCELESS_ACTIONS
from testkit.aws_actions import AwsCall
from tests.application.plan_world import all_resources, event_source_mapping, logical_name, planned_function

EVENT_SOURCE = "<the function's event source mapping>"

Grant = tuple[str, str]  # (IAM action, resource ARN or pattern)


@dataclass(frozen=True, order=True)
class Access:
    """A recorded call, named by what told the function about the resource."""

    action: str
    source: str  # the variable whose value the request named, or EVENT_SOURCE
    path: str | None = None  # S3 object key
    key_source: str | None = None  # the variable naming the SSE key the request asked for


def _naming_variable(value: str, variables: Mapping[str, str], event_source: str | None) -> str:
    if event_source is not None and value == event_source:
        return EVENT_SOURCE
    names = sorted(name for name, candidate in variables.items() if candidate == value)
    if not names:
        raise AssertionError(f"a call named {value!r}, which none of the function's variables names")
    return names[0]


def accesses(calls: Iterable[AwsCall], variables: Mapping[str, str], event_source: str | None = None) -> set[Access]:
    """The recorded calls of one function, by the variables (as it ran: `variables`) that named their resources."""
    return {
        Access(
            action=call.action,
            source=_naming_variable(call.resource, variables, event_source),
            path=call.path,
            key_source=_naming_variable(call.sse_kms_key, variables, event_source) if call.sse_kms_key else None,
        )
        for call in calls
    }


@dataclass(frozen=True)
class Target:
    arn: str
    kms_key: str | None  # the customer-managed key encrypting it, if any


def _targets(plan: Mapping[str, Any]) -> dict[str, Target]:
    """Every planned resource a function variable can name (by name, URL or ARN) -> its ARN and key."""
    found: dict[str, Target] = {}
    bucket_keys = {
        r["inputs"]["bucket"]: rule["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId")
        for r in all_resources(plan)
        if r["type"].endswith("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        for rule in r["inputs"]["rules"]
    }
    for r in all_resources(plan):
        inputs, outputs = r["inputs"], r["outputs"]
        match r["type"]:
            case "aws:dynamodb/table:Table":
                sse = inputs.get("serverSideEncryption") or {}
                found[inputs["name"]] = Target(outputs["arn"], sse.get("kmsKeyArn") if sse.get("enabled") else None)
            case "aws:sqs/queue:Queue":
                target = Target(outputs["arn"], inputs.get("kmsMasterKeyId"))
                found[outputs["url"]] = found[outputs["arn"]] = target
            case "aws:sns/topic:Topic":
                found[outputs["arn"]] = Target(outputs["arn"], inputs.get("kmsMasterKeyId"))
            case "aws:s3/bucket:Bucket":
                found[inputs["bucket"]] = Target(outputs["arn"], bucket_keys.get(inputs["bucket"]))
            case "aws:secretsmanager/secret:Secret":
                found[outputs["arn"]] = Target(outputs["arn"], inputs.get("kmsKeyId"))
            case "aws:ssm/parameter:Parameter":
                found[inputs["name"]] = Target(outputs["arn"], inputs.get("keyId"))
            case "aws:rds/instance:Instance" | "aws:rds/cluster:Cluster":
                for managed in outputs.get("masterUserSecrets") or []:
                    found[managed["secretArn"]] = Target(managed["secretArn"], inputs["masterUserSecretKmsKeyId"])
            case "aws:rds/proxy:Proxy":
                # What a function reaches at a proxy endpoint is a database user there (rds-db:connect):
                # arn:aws:rds-db:<region>:<account>:dbuser:<proxy id>/<user>, the user being the access's path.
                _, _, _, region, account, resource = outputs["arn"].split(":", 5)
                proxy_id = resource.rsplit(":", 1)[-1]
                found[outputs["endpoint"]] = Target(f"arn:aws:rds-db:{region}:{account}:dbuser:{proxy_id}", None)
            case "aws:kms/key:Key":
                found[outputs["arn"]] = Target(outputs["arn"], None)
            case "aws:cloudwatch/logGroup:LogGroup":
                found[inputs["name"]] = Target(outputs["arn"], inputs.get("kmsKeyId"))
    return found


def _target(plan: Mapping[str, Any], function: str, source: str) -> Target:
    if source == EVENT_SOURCE:
        mapping = event_source_mapping(plan, function)
        assert mapping is not None, f"{function} was recorded polling a queue but has no event source mapping"
        value = mapping["inputs"]["eventSourceArn"]
    else:
        value = planned_function(plan, function)["inputs"]["environment"]["variables"][source]
    targets = _targets(plan)
    assert value in targets, f"{function}: {source} = {value!r}, which names no resource of the plan"
    return targets[value]


def required(plan: Mapping[str, Any], function: str, recorded: Iterable[Access]) -> set[Grant]:
    """What the function's role must grant in this plan (see the module docstring)."""
    needs: set[Grant] = set()

    def with_kms(action: str, target: Target, key: str | None = None) -> None:
        needs.add((action, target.arn))
        encryption_key = key or target.kms_key
        if encryption_key:
            needs.update((kms_action, encryption_key) for kms_action in IMPLIED_KMS_ACTIONS.get(action, ()))

    for access in recorded:
        target = _target(plan, function, access.source)
        key = _target(plan, function, access.key_source).arn if access.key_source else None
        if access.path is not None:
            target = Target(f"{target.arn}/{access.path}", target.kms_key)
        with_kms(access.action, target, key)

    config = planned_function(plan, function)["inputs"]
    log_group = _targets(plan)[config["loggingConfig"]["logGroup"]]
    needs.update((action, f"{log_group.arn}:*") for action in LAMBDA_SERVICE_ACTIONS["logGroup"])
    dead_letter = _targets(plan)[config["deadLetterConfig"]["targetArn"]]
    for action in LAMBDA_SERVICE_ACTIONS["deadLetterTarget"]:
        with_kms(action, dead_letter)
    needs.update((action, config["kmsKeyArn"]) for action in LAMBDA_SERVICE_ACTIONS["environmentKey"])
    if config.get("vpcConfig", {}).get("subnetIds"):
        needs.update((action, "*") for action in RESOURCELESS_ACTIONS["VpcNetworkInterfaces"])
    if config.get("tracingConfig", {}).get("mode") == "Active":
        needs.update((action, "*") for action in RESOURCELESS_ACTIONS["XRayTracing"])
    return needs


def role_policy_document(plan: Mapping[str, Any], function: str) -> dict[str, Any]:
    (policy,) = [
        r
        for r in all_resources(plan)
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and logical_name(r) == f"{function}-role-policy"
    ]
    return dict(json.loads(policy["inputs"]["policy"]))


def granted(plan: Mapping[str, Any], function: str) -> set[Grant]:
    grants: set[Grant] = set()
    for statement in role_policy_document(plan, function)["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "Condition" not in statement
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        grants.update((action, resource) for action in actions for resource in resources)
    return grants


@dataclass
class Findings:
    missing: list[Grant] = field(default_factory=list)  # required, granted by nothing
    unused: list[Grant] = field(default_factory=list)  # granted, required by nothing

    def __bool__(self) -> bool:
        return bool(self.missing or self.unused)


def _covers(grant: Grant, need: Grant) -> bool:
    return grant[0] == need[0] and (grant[1] == need[1] or fnmatchcase(need[1], grant[1]))


def compare(needs: set[Grant], grants: set[Grant]) -> Findings:
    return Findings(
        missing=sorted(need for need in needs if not any(_covers(grant, need) for grant in grants)),
        unused=sorted(grant for grant in grants if not any(_covers(grant, need) for need in needs)),
    )


def check(plan: Mapping[str, Any], recorded: Mapping[str, Iterable[Access]]) -> dict[str, Findings]:
    """function -> its findings, for every function with findings."""
    findings = {
        function: compare(required(plan, function, accesses_), granted(plan, function))
        for function, accesses_ in recorded.items()
    }
    return {function: found for function, found in findings.items() if found}

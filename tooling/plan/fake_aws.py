"""Realistic computed values for resources and invokes under Pulumi's mock runtime.

Ids, ARNs and endpoints look like AWS's own (right region, fake account 123456789012), so that
policies and IAM checks can read an offline plan the way they read a real stack export. An
invoke nobody answers here is an error, not a silent `{}`.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from shared.environments import AVAILABILITY_ZONES

FAKE_ACCOUNT_ID = "123456789012"
# How a plan shows a secret value (tooling.plan.mock_runtime masks them): a stack reference answers with the
# referenced plan's outputs, so a masked one is a secret output there too.
SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 (a mask, not a password)


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _physical_name(args: MockResourceArgs) -> str:
    inputs = args.inputs
    for key in (
        "name",
        "bucket",
        "identifier",
        "clusterIdentifier",
        "functionName",
        "dbProxyName",
        "dashboardName",
        "alarmName",
        "groupName",
        "ruleName",
    ):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return args.name


class FakeAws(Mocks):
    """One region of the fake account; `upstream` answers StackReferences by stack name."""

    def __init__(self, region: str, upstream: dict[str, dict[str, Any]]) -> None:
        self.region = region
        self.upstream = upstream

    # --- resources ---
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args)
        if args.typ.startswith("pulumi:providers:"):
            return f"provider-{_hex(args.name, length=8)}", dict(args.inputs)
        token = args.typ.split(":")[-1] if args.typ.count(":") >= 2 else args.typ
        module = args.typ.split(":")[1].split("/")[0] if args.typ.count(":") >= 2 else ""
        builder = _BUILDERS.get(args.typ)
        name = _physical_name(args)
        resource_id, computed = builder(self, args, name) if builder else self._generic(module, token, name)
        return resource_id, {**args.inputs, **computed}

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        stack_name = args.inputs.get("name") or args.name
        if stack_name not in self.upstream:
            raise KeyError(
                f"StackReference {stack_name!r}: that stack has not been planned in this run "
                f"(planned so far: {', '.join(self.upstream) or 'none'})"
            )
        outputs = self.upstream[stack_name]
        # A secret output of the referenced stack is a secret output of the reference (its plan shows a mask).
        secret = sorted(key for key, value in outputs.items() if value == SECRET_PLACEHOLDER)
        return stack_name, {**args.inputs, "outputs": outputs, "secretOutputNames": secret}

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{FAKE_ACCOUNT_ID if account else ''}:{resource}"

    def _generic(self, module: str, token: str, name: str) -> tuple[str, dict[str, Any]]:
        resource_id = f"{token.lower()}-{_hex(module, token, name, length=12)}"
        return resource_id, {"arn": self.arn(module, f"{token.lower()}/{name}")}

    # --- invokes ---
    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        handler = _INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(f"invoke {args.token} has no offline answer: add one to tooling/plan/fake_aws.py")
        return handler(self, args.args), []


Builder = Callable[[FakeAws, MockResourceArgs, str], tuple[str, dict[str, Any]]]


def _ec2(
    prefix: str,
    arn_type: str,
    extra: Callable[[FakeAws, MockResourceArgs, str], dict[str, Any]] | None = None,
) -> Builder:
    def build(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
        resource_id = f"{prefix}-{_hex(aws.region, args.typ, args.name, name)}"
        computed = {"arn": aws.arn("ec2", f"{arn_type}/{resource_id}"), "ownerId": FAKE_ACCOUNT_ID}
        if extra:
            computed |= extra(aws, args, resource_id)
        return resource_id, computed

    return build


def _vpc_endpoint_extra(aws: FakeAws, args: MockResourceArgs, resource_id: str) -> dict[str, Any]:
    if args.inputs.get("vpcEndpointType") == "Gateway":
        return {"prefixListId": f"pl-{_hex(args.inputs.get('serviceName', ''), length=8)}"}
    return {
        "dnsEntries": [
            {
                "dnsName": f"{resource_id}.{args.inputs.get('serviceName', '')}",
                "hostedZoneId": "Z7HUB22UULQXV",
            }
        ]
    }


def _kms_key(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    h = _hex(aws.region, args.typ, args.name, length=32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return key_id, {"keyId": key_id, "arn": aws.arn("kms", f"key/{key_id}")}


def _named(service: str, resource: Callable[[str], str], **extra: Callable[[FakeAws, str], Any]) -> Builder:
    def build(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
        computed = {"arn": aws.arn(service, resource(name)), "name": name}
        computed |= {key: fn(aws, name) for key, fn in extra.items()}
        return name, computed

    return build


def _iam(kind: str) -> Builder:
    def build(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
        return name, {
            "arn": f"arn:aws:iam::{FAKE_ACCOUNT_ID}:{kind}/{name}",
            "name": name,
            "uniqueId": f"AROA{_hex(name, length=16).upper()}",
        }

    return build


def _oidc_provider(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    """IAM names an OIDC provider after its URL, so its ARN is known before it exists."""
    arn = f"arn:aws:iam::{FAKE_ACCOUNT_ID}:oidc-provider/{str(args.inputs['url']).removeprefix('https://')}"
    return arn, {"arn": arn}


def _bucket(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    return name, {
        "arn": f"arn:aws:s3:::{name}",
        "bucket": name,
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{aws.region}.amazonaws.com",
        "region": aws.region,
    }


def _db_instance(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    host = f"{name}.c{_hex(name, length=10)}.{aws.region}.rds.amazonaws.com"
    return name, {
        "arn": aws.arn("rds", f"db:{name}"),
        "address": host,
        "endpoint": f"{host}:5432",
        "port": 5432,
        "resourceId": f"db-{_hex(name, length=26).upper()}",
        "masterUserSecrets": [_managed_secret(aws, name)],
    }


def _db_cluster(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    suffix = f"cluster-c{_hex(name, length=10)}.{aws.region}.rds.amazonaws.com"
    return name, {
        "arn": aws.arn("rds", f"cluster:{name}"),
        "endpoint": f"{name}.{suffix}",
        "readerEndpoint": f"{name}.cluster-ro-c{_hex(name, length=10)}.{aws.region}.rds.amazonaws.com",
        "port": 5432,
        "clusterResourceId": f"cluster-{_hex(name, length=26).upper()}",
        "masterUserSecrets": [_managed_secret(aws, name)],
    }


def _managed_secret(aws: FakeAws, name: str) -> dict[str, str]:
    return {
        "secretArn": aws.arn("secretsmanager", f"secret:rds!db-{_hex(name, length=8)}-{_hex(name, length=6)}"),
        "secretStatus": "active",
        "kmsKeyId": "",
    }


def _db_proxy(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    return name, {
        "arn": aws.arn("rds", f"db-proxy:prx-{_hex(name)}"),
        "endpoint": f"{name}.proxy-c{_hex(name, length=10)}.{aws.region}.rds.amazonaws.com",
    }


def _queue(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    url = f"https://sqs.{aws.region}.amazonaws.com/{FAKE_ACCOUNT_ID}/{name}"
    return url, {"arn": aws.arn("sqs", name), "url": url}


def _function(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    arn = aws.arn("lambda", f"function:{name}")
    return name, {
        "arn": arn,
        "qualifiedArn": f"{arn}:1",
        "invokeArn": f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "version": "1",
    }


def _rest_api(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    api_id = _hex(name, length=10)
    return api_id, {
        "arn": f"arn:aws:apigateway:{aws.region}::/restapis/{api_id}",
        "rootResourceId": _hex(name, "root", length=10),
        "executionArn": aws.arn("execute-api", api_id),
    }


def _stage(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    api_id, stage = args.inputs.get("restApi", "api"), args.inputs.get("stageName", "stage")
    return f"ags-{api_id}-{stage}", {
        "arn": f"arn:aws:apigateway:{aws.region}::/restapis/{api_id}/stages/{stage}",
        "invokeUrl": f"https://{api_id}.execute-api.{aws.region}.amazonaws.com/{stage}",
        "executionArn": aws.arn("execute-api", f"{api_id}/{stage}"),
    }


def _api_key(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    # AWS key ids are 10 lowercase letters and digits; AWS generates the value (40 letters and digits),
    # a secret output the plan masks like every other.
    key_id = _hex(aws.region, "api-key", name, length=10)
    return key_id, {
        "arn": f"arn:aws:apigateway:{aws.region}::/apikeys/{key_id}",
        "name": name,
        "value": _hex("api-key-value", aws.region, name, length=40),
    }


def _load_balancer(kind: str) -> Builder:
    def build(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
        prefix = args.inputs.get("namePrefix")
        if isinstance(prefix, str) and prefix and not args.inputs.get("name"):
            name = f"{prefix}{_hex(args.name, length=32 - len(prefix))}"  # AWS appends a unique suffix
        suffix = f"{kind}/{name}/{_hex(name, length=16)}"
        arn = aws.arn("elasticloadbalancing", suffix if kind == "targetgroup" else f"loadbalancer/{suffix}")
        computed = {"arn": arn, "arnSuffix": suffix, "name": name}
        if kind == "app":
            computed["dnsName"] = f"{name}-{_hex(name, length=10)}.{aws.region}.elb.amazonaws.com"
            computed["zoneId"] = "Z35SXDOTRQ7X7K"
        return arn, computed

    return build


_BUILDERS: dict[str, Builder] = {
    "aws:ec2/vpc:Vpc": _ec2("vpc", "vpc", lambda a, args, rid: {"defaultSecurityGroupId": f"sg-{_hex(rid)}"}),
    "aws:ec2/subnet:Subnet": _ec2("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": _ec2("nat", "natgateway"),
    "aws:ec2/eip:Eip": _ec2(
        "eipalloc", "elastic-ip", lambda a, args, rid: {"allocationId": rid, "publicIp": "198.51.100.10"}
    ),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/route:Route": _ec2("r", "route"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc", "route-table-association"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", "security-group"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr", "security-group-rule"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce", "vpc-endpoint", _vpc_endpoint_extra),
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": _ec2("pcx", "vpc-peering-connection"),
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": _ec2("pcx", "vpc-peering-connection"),
    "aws:ec2/launchTemplate:LaunchTemplate": _ec2("lt", "launch-template", lambda a, args, rid: {"latestVersion": 1}),
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:kms/alias:Alias": _named("kms", lambda n: n),
    "aws:cloudwatch/logGroup:LogGroup": _named("logs", lambda n: f"log-group:{n}"),
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/instanceProfile:InstanceProfile": _iam("instance-profile"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:rds/instance:Instance": _db_instance,
    "aws:rds/cluster:Cluster": _db_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _db_instance,
    "aws:rds/proxy:Proxy": _db_proxy,
    "aws:rds/parameterGroup:ParameterGroup": _named("rds", lambda n: f"pg:{n}"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _named("rds", lambda n: f"cluster-pg:{n}"),
    "aws:rds/subnetGroup:SubnetGroup": _named("rds", lambda n: f"subgrp:{n}"),
    "aws:dynamodb/table:Table": _named(
        "dynamodb",
        lambda n: f"table/{n}",
        streamArn=lambda a, n: a.arn("dynamodb", f"table/{n}/stream/2026-11-01T00:00:00.000"),
    ),
    "aws:sqs/queue:Queue": _queue,
    "aws:sns/topic:Topic": _named("sns", lambda n: n),
    "aws:secretsmanager/secret:Secret": _named("secretsmanager", lambda n: f"secret:{n}-{_hex(n, length=6)}"),
    "aws:lambda/function:Function": _function,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/stage:Stage": _stage,
    "aws:apigateway/apiKey:ApiKey": _api_key,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer("app"),
    "aws:lb/targetGroup:TargetGroup": _load_balancer("targetgroup"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _named("cloudwatch", lambda n: f"alarm:{n}"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _named("cloudwatch", lambda n: f"alarm:{n}"),
    "aws:xray/group:Group": _named("xray", lambda n: f"group/{n}/{_hex(n, length=26).upper()}"),
    "aws:xray/samplingRule:SamplingRule": _named("xray", lambda n: f"sampling-rule/{n}"),
    "aws:cloudtrail/trail:Trail": _named("cloudtrail", lambda n: f"trail/{n}"),
}


def _availability_zones(aws: FakeAws, _: dict[str, Any]) -> dict[str, Any]:
    letters = "abcdef"[: AVAILABILITY_ZONES.get(aws.region, 3)]
    return {
        "names": [f"{aws.region}{c}" for c in letters],
        "zoneIds": [f"{aws.region[:3]}{aws.region.split('-')[-1]}-az{i + 1}" for i in range(len(letters))],
        "id": aws.region,
    }


_INVOKES: dict[str, Callable[[FakeAws, dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda aws, _: {
        "accountId": FAKE_ACCOUNT_ID,
        "arn": f"arn:aws:iam::{FAKE_ACCOUNT_ID}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN",
        "id": FAKE_ACCOUNT_ID,
    },
    "aws:index/getRegion:getRegion": lambda aws, _: {
        "name": aws.region,
        "region": aws.region,
        "id": aws.region,
    },
    "aws:index/getPartition:getPartition": lambda aws, _: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
    },
    "aws:elb/getServiceAccount:getServiceAccount": lambda aws, _: {
        "arn": "arn:aws:iam::111122223333:root",
        "id": "111122223333",
    },
    "aws:ec2/getAmi:getAmi": lambda aws, args: {
        "id": f"ami-{_hex(aws.region, str(args), length=17)}",
        "architecture": "arm64",
    },
}


# --- data layer ---
def _random_password(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    length = int(args.inputs.get("length", 32))
    fake = (_hex("random-password", args.name, length=64) * 4)[:length]
    return "none", {"result": fake, "bcryptHash": f"$2a$10${_hex(fake, length=53)}"}


def _proxy_default_target_group(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    proxy = str(args.inputs.get("dbProxyName", "proxy"))
    return proxy, {"name": "default", "arn": aws.arn("rds", f"target-group:prx-tg-{_hex(proxy)}")}


_BUILDERS |= {
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": _proxy_default_target_group,
}


# --- application layer ---
def _event_source_mapping(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    h = _hex(aws.region, args.name, length=32)
    uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return uuid, {"uuid": uuid, "arn": aws.arn("lambda", f"event-source-mapping:{uuid}"), "state": "Enabled"}


def _topic_subscription(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    topic = str(args.inputs.get("topic", "topic"))
    arn = f"{topic}:{_hex(topic, args.name, length=32)}"
    # Email subscriptions wait for the recipient to confirm: AWS reports them pending.
    return arn, {"arn": arn, "pendingConfirmation": args.inputs.get("protocol") == "email", "ownerId": FAKE_ACCOUNT_ID}


def _invocation(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    function = str(args.inputs.get("functionName", "function"))
    return f"{function}_$LATEST_{_hex(str(args.inputs), length=32)}", {"result": '{"status": "ok"}'}


def _table_item(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    # pulumi-aws makes a table item's id of its table, key attribute and key value: `<table>|<key>|<value>`.
    hash_key, item = str(args.inputs.get("hashKey")), args.inputs.get("item", "{}")
    if isinstance(item, dict):  # a secret input reaches the mocks wrapped: {<signature>: <secret>, "value": ...}
        item = item["value"]
    item = json.loads(str(item))
    key = next(iter(item.get(hash_key, {}).values()), "")
    return f"{args.inputs.get('tableName')}|{hash_key}|{key}", {}


_BUILDERS |= {
    "aws:dynamodb/tableItem:TableItem": _table_item,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _event_source_mapping,
    "aws:sns/topicSubscription:TopicSubscription": _topic_subscription,
    "aws:lambda/invocation:Invocation": _invocation,
    "aws:sns/topicPolicy:TopicPolicy": lambda aws, args, name: (str(args.inputs.get("arn", name)), {}),
    # Dashboard ARNs carry no region: dashboard names are unique per account.
    "aws:cloudwatch/dashboard:Dashboard": lambda aws, args, name: (
        name,
        {"dashboardArn": aws.arn("cloudwatch", f"dashboard/{name}", region=False)},
    ),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": lambda aws, args, name: (str(args.inputs.get("queueUrl")), {}),
}


# --- application layer: edge, certificate, web tier, WAF ---
def _service_linked_role(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    service = str(args.inputs.get("awsServiceName", "autoscaling.amazonaws.com"))
    base = "AWSServiceRoleFor" + service.split(".", maxsplit=1)[0].capitalize().replace("Autoscaling", "AutoScaling")
    role = f"{base}_{args.inputs['customSuffix']}" if args.inputs.get("customSuffix") else base
    arn = f"arn:aws:iam::{FAKE_ACCOUNT_ID}:role/aws-service-role/{service}/{role}"
    return arn, {"arn": arn, "name": role, "path": f"/aws-service-role/{service}/", "uniqueId": f"AROA{_hex(role)}"}


def _certificate(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    cert_id = _uuid(aws.region, args.name)
    domains = [args.inputs.get("domainName"), *args.inputs.get("subjectAlternativeNames", [])]
    options = [
        {
            "domainName": domain,
            "resourceRecordName": f"_{_hex(domain, length=32)}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{_hex('value', domain, length=32)}.acm-validations.aws.",
        }
        for domain in domains
        if domain and args.inputs.get("validationMethod") == "DNS"
    ]
    arn = aws.arn("acm", f"certificate/{cert_id}")
    status = "PENDING_VALIDATION" if options else "ISSUED"
    return arn, {"arn": arn, "domainValidationOptions": options, "status": status}


def _uuid(*parts: str) -> str:
    h = _hex(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _record(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    record = str(args.inputs.get("name", name)).rstrip(".")
    return f"{args.inputs.get('zoneId')}_{record}_{args.inputs.get('type')}", {"fqdn": record}


def _tls_private_key(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    fake = _hex("tls-private-key", args.name, length=64)
    return fake[:40], {
        "privateKeyPem": f"-----BEGIN PRIVATE KEY-----\n{fake}\n-----END PRIVATE KEY-----\n",
        "publicKeyPem": f"-----BEGIN PUBLIC KEY-----\n{fake[::-1]}\n-----END PUBLIC KEY-----\n",
    }


def _tls_self_signed_cert(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    serial = str(int(_hex("tls-cert", args.name, length=16), 16))
    return serial, {
        "certPem": f"-----BEGIN CERTIFICATE-----\n{_hex('cert', args.name, length=64)}\n-----END CERTIFICATE-----\n",
        "validityStartTime": "2026-11-01T00:00:00Z",
        "validityEndTime": "2027-11-01T00:00:00Z",
    }


def _web_acl(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    acl_id = _uuid(aws.region, name)
    scope = "regional" if args.inputs.get("scope") == "REGIONAL" else "global"
    return acl_id, {"arn": aws.arn("wafv2", f"{scope}/webacl/{name}/{acl_id}"), "capacity": 1000, "lockToken": acl_id}


def _autoscaling_group(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    group_id = _uuid(aws.region, name)
    return name, {"arn": aws.arn("autoscaling", f"autoScalingGroup:{group_id}:autoScalingGroupName/{name}")}


def _listener(aws: FakeAws, args: MockResourceArgs, name: str) -> tuple[str, dict[str, Any]]:
    lb = str(args.inputs.get("loadBalancerArn", "")).split(":loadbalancer/")[-1]
    arn = aws.arn("elasticloadbalancing", f"listener/{lb}/{_hex(args.name, length=16)}")
    return arn, {"arn": arn}


_BUILDERS |= {
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _service_linked_role,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/record:Record": _record,
    "tls:index/privateKey:PrivateKey": _tls_private_key,
    "tls:index/selfSignedCert:SelfSignedCert": _tls_self_signed_cert,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:autoscaling/group:Group": _autoscaling_group,
    "aws:lb/listener:Listener": _listener,
}

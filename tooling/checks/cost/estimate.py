"""The fixed monthly cost of one environment, read from its offline plan and a pinned price table.

Only what costs money by the hour or the month whether used or not is priced: NAT gateways and their
public IPv4 addresses, interface endpoints (per AZ), the database (RDS instance, with its standby when
multi-AZ, and storage; or Aurora Serverless v2 at its minimum ACUs per instance), RDS Proxy, the ALB, the
web tier's instances (type x desired count, with their volumes), KMS keys, Secrets Manager secrets
(the RDS-managed master secret too), CloudWatch alarms and dashboards, WAF web ACLs and rules, CloudTrail
trails. Everything billed by use is listed with its unit price (`usage` in prices.yaml), never guessed.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PRICES = Path(__file__).with_name("prices.yaml")
# The resource types the line items are computed from; every other resource costs nothing while idle or
# is billed by use (`usage_prices`).
PRICED_TYPES: tuple[str, ...] = (
    "aws:autoscaling/group:Group",
    "aws:cloudtrail/trail:Trail",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:ec2/eip:Eip",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:kms/key:Key",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/instance:Instance",
    "aws:rds/proxy:Proxy",
    "aws:secretsmanager/secret:Secret",
    "aws:wafv2/webAcl:WebAcl",
)


@dataclass(frozen=True)
class LineItem:
    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float


@cache
def price_table(path: Path = PRICES) -> dict[str, Any]:
    table: dict[str, Any] = yaml.safe_load(path.read_text())
    return table


def region_of(plan: Mapping[str, Any]) -> str:
    for layer in plan["layers"]:
        for record in layer["resources"]:
            if record["type"] == "pulumi:providers:aws":
                return str(record["inputs"]["region"])
    raise ValueError("the plan declares no AWS provider")


def _custom(plan: Mapping[str, Any], token: str) -> list[dict[str, Any]]:
    if token not in PRICED_TYPES:
        raise ValueError(f"{token} is priced but not in PRICED_TYPES: add it, so that make cost counts it")
    return [r for layer in plan["layers"] for r in layer["resources"] if r["custom"] and r["type"] == token]


def priced_resources(plan: Mapping[str, Any]) -> int:
    """How many of the plan's resources the line items are computed from."""
    return sum(1 for layer in plan["layers"] for r in layer["resources"] if r["custom"] and r["type"] in PRICED_TYPES)


def _price(prices: Mapping[str, Any], key: str, name: str | None = None) -> float:
    value = prices[key] if name is None else prices[key].get(name)
    if value is None:
        raise ValueError(f"prices.yaml has no {key} for {name}")
    return float(value)


def line_items(plan: Mapping[str, Any], table: Mapping[str, Any] | None = None) -> list[LineItem]:
    table = table or price_table()
    prices = table["regions"][region_of(plan)]
    hours = float(table["hours_per_month"])
    return [item for item in _items(plan, prices, hours) if item.quantity]


def _hourly(item: str, quantity: float, unit: str, price: float, hours: float) -> LineItem:
    return LineItem(item, quantity, unit, price, round(quantity * price * hours, 2))


def _monthly(item: str, quantity: float, unit: str, price: float) -> LineItem:
    return LineItem(item, quantity, unit, price, round(quantity * price, 2))


def _items(plan: Mapping[str, Any], p: Mapping[str, Any], hours: float) -> Iterator[LineItem]:
    nat = len(_custom(plan, "aws:ec2/natGateway:NatGateway"))
    yield _hourly("NAT gateways", nat, "gateway-hour", _price(p, "nat_gateway_hour"), hours)
    eips = len(_custom(plan, "aws:ec2/eip:Eip"))
    yield _hourly("Public IPv4 addresses (NAT Elastic IPs)", eips, "address-hour", _price(p, "public_ipv4_hour"), hours)
    endpoints = _custom(plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
    endpoint_azs = sum(
        len(e["inputs"].get("subnetIds", [])) for e in endpoints if e["inputs"].get("vpcEndpointType") == "Interface"
    )
    yield _hourly(
        "Interface endpoints (per AZ)", endpoint_azs, "endpoint-AZ-hour", _price(p, "interface_endpoint_az_hour"), hours
    )
    yield from _database(plan, p, hours)
    albs = len(_custom(plan, "aws:lb/loadBalancer:LoadBalancer"))
    yield _hourly("Application Load Balancer", albs, "ALB-hour", _price(p, "alb_hour"), hours)
    yield from _web_tier(plan, p, hours)
    keys = len(_custom(plan, "aws:kms/key:Key"))
    yield _monthly("KMS customer-managed keys", keys, "key-month", _price(p, "kms_key_month"))
    managed = sum(
        1
        for r in _custom(plan, "aws:rds/instance:Instance") + _custom(plan, "aws:rds/cluster:Cluster")
        if r["inputs"].get("manageMasterUserPassword")
    )
    secrets = len(_custom(plan, "aws:secretsmanager/secret:Secret")) + managed
    yield _monthly("Secrets Manager secrets (incl. RDS-managed)", secrets, "secret-month", _price(p, "secret_month"))
    alarm_metrics = sum(_alarm_metrics(a) for a in _custom(plan, "aws:cloudwatch/metricAlarm:MetricAlarm"))
    yield _monthly(
        "CloudWatch alarms (metrics evaluated)", alarm_metrics, "alarm-metric-month", _price(p, "alarm_metric_month")
    )
    composite = len(_custom(plan, "aws:cloudwatch/compositeAlarm:CompositeAlarm"))
    yield _monthly("CloudWatch composite alarms", composite, "alarm-month", _price(p, "composite_alarm_month"))
    dashboards = len(_custom(plan, "aws:cloudwatch/dashboard:Dashboard"))
    yield _monthly("CloudWatch dashboards", dashboards, "dashboard-month", _price(p, "dashboard_month"))
    acls = _custom(plan, "aws:wafv2/webAcl:WebAcl")
    yield _monthly("WAF web ACLs", len(acls), "web-ACL-month", _price(p, "waf_web_acl_month"))
    rules = sum(len(a["inputs"].get("rules", [])) for a in acls)
    yield _monthly("WAF rules", rules, "rule-month", _price(p, "waf_rule_month"))
    trails = len(_custom(plan, "aws:cloudtrail/trail:Trail"))
    yield _monthly("CloudTrail trails (management events)", trails, "trail-month", _price(p, "cloudtrail_trail_month"))


def _alarm_metrics(alarm: Mapping[str, Any]) -> int:
    queries = alarm["inputs"].get("metricQueries") or []
    return sum(1 for q in queries if q.get("metric")) or 1


def _database(plan: Mapping[str, Any], p: Mapping[str, Any], hours: float) -> Iterator[LineItem]:
    vcpus = 0.0
    for db in _custom(plan, "aws:rds/instance:Instance"):
        inputs = db["inputs"]
        klass = str(inputs["instanceClass"])
        copies = 2 if inputs.get("multiAz") else 1
        yield _hourly(f"RDS PostgreSQL {klass}{' multi-AZ' if copies == 2 else ''}", copies, "instance-hour",
                      _price(p, "rds_instance_hour", klass), hours)  # fmt: skip
        storage = float(inputs.get("allocatedStorage", 0)) * copies
        yield _monthly("RDS gp3 storage (allocated)", storage, "GB-month", _price(p, "rds_gp3_gb_month"))
        vcpus += max(2.0, float(p["vcpus"].get(klass, 2)))
    acus = 0.0
    for cluster in _custom(plan, "aws:rds/cluster:Cluster"):
        scaling = cluster["inputs"].get("serverlessv2ScalingConfiguration") or {}
        members = [i for i in _custom(plan, "aws:rds/clusterInstance:ClusterInstance")
                   if i["inputs"].get("clusterIdentifier") == cluster["inputs"].get("clusterIdentifier")]  # fmt: skip
        acus += float(scaling.get("minCapacity", 0)) * max(1, len(members))
    yield _hourly(
        "Aurora Serverless v2 (minimum ACUs x instances)", acus, "ACU-hour", _price(p, "aurora_acu_hour"), hours
    )
    proxies = len(_custom(plan, "aws:rds/proxy:Proxy"))
    if proxies and vcpus:
        yield _hourly("RDS Proxy (target vCPUs)", vcpus * proxies, "vCPU-hour", _price(p, "rds_proxy_vcpu_hour"), hours)
    if proxies and acus:
        yield _hourly(
            "RDS Proxy (Aurora, at least 8 ACUs)",
            max(8.0, acus) * proxies,
            "ACU-hour",
            _price(p, "rds_proxy_acu_hour"),
            hours,
        )


def _web_tier(plan: Mapping[str, Any], p: Mapping[str, Any], hours: float) -> Iterator[LineItem]:
    templates = {t["id"]: t["inputs"] for t in _custom(plan, "aws:ec2/launchTemplate:LaunchTemplate")}
    by_type: dict[str, float] = {}
    volume_gb = 0.0
    for group in _custom(plan, "aws:autoscaling/group:Group"):
        template = templates[group["inputs"]["launchTemplate"]["id"]]
        count = float(group["inputs"].get("desiredCapacity", group["inputs"].get("minSize", 0)))
        by_type[template["instanceType"]] = by_type.get(template["instanceType"], 0.0) + count
        volumes = template.get("blockDeviceMappings") or []
        volume_gb += count * sum(float((v.get("ebs") or {}).get("volumeSize", 0)) for v in volumes)
    for instance_type, count in sorted(by_type.items()):
        yield _hourly(f"EC2 {instance_type} (desired, both colours)", count, "instance-hour",
                      _price(p, "ec2_instance_hour", instance_type), hours)  # fmt: skip
    yield _monthly("EBS gp3 volumes of the web tier", volume_gb, "GB-month", _price(p, "ebs_gp3_gb_month"))


def total(items: list[LineItem]) -> float:
    return round(sum(i.monthly for i in items), 2)


def usage_prices(plan: Mapping[str, Any], table: Mapping[str, Any] | None = None) -> dict[str, str]:
    table = table or price_table()
    return {k: str(v) for k, v in table["regions"][region_of(plan)]["usage"].items()}


def load_plan(path: Path) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads(path.read_text())
    return plan

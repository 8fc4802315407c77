"""VPC endpoints, so payment traffic to AWS services never needs the internet."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext

# What the private Lambdas and the web tier call: queues, topics, secrets, keys, logs, traces,
# metrics, parameters and STS (IAM database auth and role sessions).
INTERFACE_SERVICES: tuple[str, ...] = (
    "sqs",
    "sns",
    "secretsmanager",
    "kms",
    "logs",
    "xray",
    "monitoring",
    "ssm",
    "ssmmessages",  # Session Manager on the web tier (no SSH, no bastion)
    "ec2messages",
    "sts",
)
GATEWAY_SERVICES: tuple[str, ...] = ("s3", "dynamodb")


@dataclass(frozen=True)
class GatewayEndpointsArgs:
    vpc_id: pulumi.Input[str]
    route_table_ids: Sequence[pulumi.Input[str]]


class GatewayEndpoints(pulumi.ComponentResource):
    """S3 and DynamoDB gateway endpoints on the private route tables (free, no NAT needed)."""

    def __init__(
        self,
        name: str,
        args: GatewayEndpointsArgs,
        ctx: LayerContext,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("payments:networking:GatewayEndpoints", name, None, opts)
        self.endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=args.vpc_id,
                service_name=f"com.amazonaws.{ctx.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=args.route_table_ids,
                tags=ctx.tags(ctx.name(f"vpce-{service}", "ec2")),
                opts=ctx.tagged_child(self),
            )
            for service in GATEWAY_SERVICES
        }
        self.register_outputs({s: e.id for s, e in self.endpoints.items()})

    def prefix_list_id(self, service: str) -> pulumi.Output[str]:
        return self.endpoints[service].prefix_list_id


@dataclass(frozen=True)
class InterfaceEndpointsArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]


class InterfaceEndpoints(pulumi.ComponentResource):
    """One interface endpoint per service, in every private subnet, with private DNS."""

    def __init__(
        self,
        name: str,
        args: InterfaceEndpointsArgs,
        ctx: LayerContext,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("payments:networking:InterfaceEndpoints", name, None, opts)
        self.endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=args.vpc_id,
                service_name=f"com.amazonaws.{ctx.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=args.subnet_ids,
                security_group_ids=[args.security_group_id],
                tags=ctx.tags(ctx.name(f"vpce-{service}", "ec2")),
                opts=ctx.tagged_child(self),
            )
            for service in INTERFACE_SERVICES
        }
        self.register_outputs({s: e.id for s, e in self.endpoints.items()})

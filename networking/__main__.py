"""Networking layer: VPC, subnets, NAT, endpoints, security groups, flow logs, optional peering."""

import pulumi
import pulumi_aws as aws

from networking.endpoints import (
    INTERFACE_SERVICES,
    GatewayEndpoints,
    GatewayEndpointsArgs,
    InterfaceEndpoints,
    InterfaceEndpointsArgs,
)
from networking.flow_logs import FlowLogs, FlowLogsArgs
from networking.network_acls import NetworkAcls, NetworkAclsArgs
from networking.peering import VpcPeering, VpcPeeringArgs
from networking.security_groups import SecurityGroups, SecurityGroupsArgs
from networking.settings import NetworkingSettings
from networking.vpc import Vpc, VpcArgs
from shared.bootstrap import start_layer

# --- configuration: validated before anything is declared ---
config, ctx = start_layer("networking", NetworkingSettings)
settings = config.layer
zones = aws.get_availability_zones(state="available", opts=pulumi.InvokeOptions(provider=ctx.provider)).names
if len(zones) < settings.availability_zones:  # validated against shared/environments.py; AWS disagreed
    raise pulumi.RunError(
        f"{ctx.region} answered {len(zones)} available zones, fewer than the {settings.availability_zones} "
        "networking:availabilityZones asks for: correct AVAILABILITY_ZONES in shared/environments.py"
    )
opts = ctx.component_opts()

# --- components ---
network = Vpc(
    "network",
    VpcArgs(settings.vpc_cidr, zones[: settings.availability_zones], settings.nat_strategy),
    ctx,
    opts,
)
private_route_table_ids = [rt.id for rt in network.private_route_tables]
gateways = GatewayEndpoints(
    "gateway-endpoints", GatewayEndpointsArgs(network.vpc.id, private_route_table_ids), ctx, opts
)
groups = SecurityGroups(
    "security-groups",
    SecurityGroupsArgs(
        vpc_id=network.vpc.id,
        s3_prefix_list_id=gateways.prefix_list_id("s3"),
        dynamodb_prefix_list_id=gateways.prefix_list_id("dynamodb"),
        internet_egress_for_web=settings.nat_strategy != "none",
    ),
    ctx,
    opts,
)
InterfaceEndpoints(
    "interface-endpoints",
    InterfaceEndpointsArgs(network.vpc.id, [s.id for s in network.private_subnets], groups.endpoints.id),
    ctx,
    opts,
)
flow_logs = FlowLogs("flow-logs", FlowLogsArgs(network.vpc.id, config.platform.log_retention_days), ctx, opts)
peering = (
    VpcPeering("peering", VpcPeeringArgs(settings.peering, network.vpc.id, private_route_table_ids), ctx, opts)
    if settings.peering.enabled
    else None
)
NetworkAcls(
    "network-acls",
    NetworkAclsArgs(
        vpc_id=network.vpc.id,
        vpc_cidr=network.vpc.cidr_block,
        public_subnet_ids=[s.id for s in network.public_subnets],
        private_subnet_ids=[s.id for s in network.private_subnets],
        peer_cidrs=[peering.peer_cidr] if peering else [],
    ),
    ctx,
    opts,
)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", config.platform.environment)
pulumi.export("region", config.platform.region)
pulumi.export("accountId", ctx.account_id)
pulumi.export("vpcId", network.vpc.id)
pulumi.export("vpcCidr", network.vpc.cidr_block)
pulumi.export("availabilityZones", zones[: settings.availability_zones])
pulumi.export("publicSubnetIds", [s.id for s in network.public_subnets])
pulumi.export("privateSubnetIds", [s.id for s in network.private_subnets])
pulumi.export("privateRouteTableIds", private_route_table_ids)
pulumi.export("natGatewayIds", [n.id for n in network.nat_gateways])
for role, group in groups.by_role().items():
    pulumi.export(f"{role}SecurityGroupId", group.id)
pulumi.export("interfaceEndpointServices", list(INTERFACE_SERVICES))
pulumi.export("flowLogGroupName", flow_logs.log_group.name)
pulumi.export("peeringConnectionId", peering.connection_id if peering else None)

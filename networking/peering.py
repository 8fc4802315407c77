"""Optional peering with another environment's VPC (staging <-> prod), routed from private subnets.

Deploy order: the requester side first (it reads the peer's VPC), then the accepter side
(it reads the requester's `peeringConnectionId`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from networking.settings import PeeringSettings
from shared.context import LayerContext
from shared.projects import qualified_stack_name


@dataclass(frozen=True)
class VpcPeeringArgs:
    settings: PeeringSettings
    vpc_id: pulumi.Input[str]
    route_table_ids: Sequence[pulumi.Input[str]]


class VpcPeering(pulumi.ComponentResource):
    connection_id: pulumi.Output[str]
    peer_cidr: pulumi.Output[str]

    def __init__(self, name: str, args: VpcPeeringArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:networking:VpcPeering", name, None, opts)
        peer_env = args.settings.peer_environment
        peer = pulumi.StackReference(
            f"{name}-peer",
            stack_name=qualified_stack_name(ctx.platform.stack_org, "networking", str(peer_env)),
            opts=ctx.child(self),
        )
        self.peer_cidr = peer.require_output("vpcCidr")
        connection_name = ctx.name(f"pcx-{peer_env}", "ec2")
        if args.settings.role == "requester":
            connection = aws.ec2.VpcPeeringConnection(
                f"{name}-connection",
                vpc_id=args.vpc_id,
                peer_vpc_id=peer.require_output("vpcId"),
                peer_owner_id=peer.require_output("accountId"),
                peer_region=peer.require_output("region"),
                auto_accept=False,
                tags=ctx.tags(connection_name),
                opts=ctx.tagged_child(self),
            )
            self.connection_id = connection.id
        else:
            accepter = aws.ec2.VpcPeeringConnectionAccepter(
                f"{name}-accepter",
                vpc_peering_connection_id=peer.require_output("peeringConnectionId"),
                auto_accept=True,
                tags=ctx.tags(connection_name),
                opts=ctx.tagged_child(self),
            )
            self.connection_id = accepter.id
        for i, route_table_id in enumerate(args.route_table_ids):
            aws.ec2.Route(
                f"{name}-route-{i}",
                route_table_id=route_table_id,
                destination_cidr_block=self.peer_cidr,
                vpc_peering_connection_id=self.connection_id,
                opts=ctx.child(self),
            )
        self.register_outputs({"connectionId": self.connection_id})

"""Least-privilege security groups: each tier accepts traffic only from the tier in front of it."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext

HTTPS_PORT = 443
HTTP_PORT = 80
POSTGRES_PORT = 5432
WEB_PORT = 8080
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class SecurityGroupsArgs:
    vpc_id: pulumi.Input[str]
    s3_prefix_list_id: pulumi.Input[str]
    dynamodb_prefix_list_id: pulumi.Input[str]
    internet_egress_for_web: bool


class SecurityGroups(pulumi.ComponentResource):
    """Groups for lambda, database, proxy, alb, web and endpoints, and the rules between them."""

    def __init__(
        self,
        name: str,
        args: SecurityGroupsArgs,
        ctx: LayerContext,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("payments:networking:SecurityGroups", name, None, opts)
        self._name, self._ctx = name, ctx

        def group(role: str, description: str) -> aws.ec2.SecurityGroup:
            physical = ctx.name(f"sg-{role}", "ec2")
            return aws.ec2.SecurityGroup(
                f"{name}-{role}",
                name=physical,
                description=description,
                vpc_id=args.vpc_id,
                tags=ctx.tags(physical),
                opts=ctx.tagged_child(self),
            )

        self.alb = group("alb", "Public ALB: HTTPS, and HTTP only to redirect")
        self.web = group("web", "EC2 web tier: from the ALB only")
        self.lambda_ = group("lambda", "Payment Lambdas: egress to endpoints and the RDS proxy only")
        self.proxy = group("proxy", "RDS Proxy: from the Lambdas and the web tier only")
        self.database = group("database", "PostgreSQL: from the RDS Proxy only")
        self.endpoints = group("endpoints", "Interface VPC endpoints: HTTPS from the workloads only")

        self._ingress("alb-https", self.alb, HTTPS_PORT, cidr=ANYWHERE)
        self._ingress("alb-http-redirect", self.alb, HTTP_PORT, cidr=ANYWHERE)
        self._egress("alb-to-web", self.alb, WEB_PORT, peer_group=self.web)

        self._ingress("web-from-alb", self.web, WEB_PORT, peer_group=self.alb)
        self._egress("web-to-endpoints", self.web, HTTPS_PORT, peer_group=self.endpoints)
        self._egress("web-to-s3", self.web, HTTPS_PORT, prefix_list=args.s3_prefix_list_id)
        self._egress("web-to-proxy", self.web, POSTGRES_PORT, peer_group=self.proxy)
        if args.internet_egress_for_web:
            self._egress("web-to-internet", self.web, HTTPS_PORT, cidr=ANYWHERE)

        self._egress("lambda-to-endpoints", self.lambda_, HTTPS_PORT, peer_group=self.endpoints)
        self._egress("lambda-to-s3", self.lambda_, HTTPS_PORT, prefix_list=args.s3_prefix_list_id)
        self._egress("lambda-to-dynamodb", self.lambda_, HTTPS_PORT, prefix_list=args.dynamodb_prefix_list_id)
        self._egress("lambda-to-proxy", self.lambda_, POSTGRES_PORT, peer_group=self.proxy)

        self._ingress("proxy-from-lambda", self.proxy, POSTGRES_PORT, peer_group=self.lambda_)
        self._ingress("proxy-from-web", self.proxy, POSTGRES_PORT, peer_group=self.web)
        self._egress("proxy-to-database", self.proxy, POSTGRES_PORT, peer_group=self.database)

        self._ingress("database-from-proxy", self.database, POSTGRES_PORT, peer_group=self.proxy)

        self._ingress("endpoints-from-lambda", self.endpoints, HTTPS_PORT, peer_group=self.lambda_)
        self._ingress("endpoints-from-web", self.endpoints, HTTPS_PORT, peer_group=self.web)

        self.register_outputs({role: sg.id for role, sg in self.by_role().items()})

    def by_role(self) -> dict[str, aws.ec2.SecurityGroup]:
        return {
            "lambda": self.lambda_,
            "database": self.database,
            "proxy": self.proxy,
            "alb": self.alb,
            "web": self.web,
            "endpoints": self.endpoints,
        }

    def _ingress(self, rule: str, target: aws.ec2.SecurityGroup, port: int, **peer: Any) -> None:
        self._rule(aws.vpc.SecurityGroupIngressRule, rule, target, port, **peer)

    def _egress(self, rule: str, source: aws.ec2.SecurityGroup, port: int, **peer: Any) -> None:
        self._rule(aws.vpc.SecurityGroupEgressRule, rule, source, port, **peer)

    def _rule(
        self,
        kind: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
        rule: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        *,
        cidr: str | None = None,
        peer_group: aws.ec2.SecurityGroup | None = None,
        prefix_list: pulumi.Input[str] | None = None,
    ) -> None:
        """One TCP port, to or from exactly one peer: a CIDR, another group or a prefix list."""
        kind(
            f"{self._name}-{rule}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            referenced_security_group_id=peer_group.id if peer_group else None,
            prefix_list_id=prefix_list,
            description=rule,
            tags=self._ctx.tags(),
            opts=self._ctx.tagged_child(self),
        )

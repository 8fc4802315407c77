"""RDS Proxy in front of PostgreSQL for the Lambdas: pooled connections that survive failover.

Clients must use TLS (`require_tls`); the proxy's certificate is issued by ACM under the Amazon
roots, so the functions verify it with `verify-full` against the Amazon Linux trust store.
Client authentication is by password, looked up in a registered secret (`iam_auth` DISABLED):
the RDS-managed master secret (the ledger owner: the deploy's migration step) and the ledger
writer's secret (the settlement worker, DB_SECRET_ARN in payments/settings.py). Switching to IAM
tokens means setting `CLIENT_IAM_AUTH = "REQUIRED"` and granting the functions `rds-db:connect`.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext
from shared.roles import service_role

CLIENT_IAM_AUTH = "DISABLED"
IDLE_CLIENT_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class DatabaseProxyArgs:
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    secret_arn: pulumi.Input[str]  # the master (owner) secret, kept by RDS
    writer_secret_arn: pulumi.Input[str]  # the ledger writer's secret (function_secrets.py)
    kms_key_arn: pulumi.Input[str]
    target: dict[str, pulumi.Input[str]]  # db_instance_identifier or db_cluster_identifier
    depends_on: list[pulumi.Resource]


class DatabaseProxy(pulumi.ComponentResource):
    proxy: aws.rds.Proxy

    def __init__(
        self, name: str, args: DatabaseProxyArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:DatabaseProxy", name, None, opts)
        region = ctx.region
        proxy_name = ctx.name("db-proxy", "rds-proxy")
        role = service_role(
            f"{name}-role",
            role_type="role-db-proxy",
            service="rds.amazonaws.com",
            description="RDS Proxy reads the database secret (and nothing else)",
            statements=[
                {
                    "Sid": "ReadDatabaseSecret",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": [args.secret_arn, args.writer_secret_arn],
                },
                {
                    "Sid": "DecryptDatabaseSecret",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": args.kms_key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
                },
            ],
            ctx=ctx,
            parent=self,
        )
        self.proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=proxy_name,
            engine_family="POSTGRESQL",
            require_tls=True,
            debug_logging=False,  # would log SQL text
            idle_client_timeout=IDLE_CLIENT_TIMEOUT_SECONDS,
            role_arn=role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[args.security_group_id],
            auths=[
                {
                    "auth_scheme": "SECRETS",
                    "secret_arn": args.secret_arn,
                    "iam_auth": CLIENT_IAM_AUTH,
                    "client_password_auth_type": "POSTGRES_SCRAM_SHA_256",
                    "description": "Master credentials kept and rotated by RDS",
                },
                {
                    "auth_scheme": "SECRETS",
                    "secret_arn": args.writer_secret_arn,
                    "iam_auth": CLIENT_IAM_AUTH,
                    "client_password_auth_type": "POSTGRES_SCRAM_SHA_256",
                    "description": "Ledger writer (settlement worker): INSERT and SELECT only",
                },
            ],
            tags=ctx.tags(proxy_name),
            opts=ctx.tagged_child(self, depends_on=[role.policy]),
        )
        target_group = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-target-group",
            db_proxy_name=self.proxy.name,
            connection_pool_config={
                "max_connections_percent": 90,
                "max_idle_connections_percent": 50,
                "connection_borrow_timeout": 120,
            },
            opts=ctx.child(self),
        )
        aws.rds.ProxyTarget(
            f"{name}-target",
            db_proxy_name=self.proxy.name,
            target_group_name=target_group.name,
            **args.target,
            opts=ctx.child(self, depends_on=args.depends_on),
        )
        self.endpoint = self.proxy.endpoint
        self.register_outputs({"endpoint": self.proxy.endpoint, "arn": self.proxy.arn})

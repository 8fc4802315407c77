"""RDS Proxy in front of PostgreSQL for the Lambdas: pooled connections that survive failover.

Clients must use TLS (`require_tls`); the proxy's certificate is issued by ACM under the Amazon
roots, so the functions verify it with `verify-full` against the Amazon Linux trust store.

Authentication is IAM end to end (`default_auth_scheme = IAM_AUTH`). The settlement worker signs a
15-minute token for the ledger writer (its role may `rds-db:connect` as that user at this proxy:
`writer_connect_arn`), and the proxy signs in to PostgreSQL as that user with IAM as well (this
proxy's role may `rds-db:connect` as that user at the database). The ledger writer has no password
anywhere, so there is nothing to rotate. The one secret registered in `auths` is the RDS-managed
master secret (the ledger owner, rotated by RDS): the deploy's migration step signs in with it to
migrate and to provision the writer role (a member of `rds_iam`, without a password).
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.context import LayerContext
from shared.roles import service_role

LEDGER_WRITER_USERNAME = "payments_ledger_writer"  # provisioned by the functions' migration step
IDLE_CLIENT_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class DatabaseProxyArgs:
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    owner_secret_arn: pulumi.Input[str]  # the master (owner) secret, kept by RDS
    kms_key_arn: pulumi.Input[str]
    target: dict[str, pulumi.Input[str]]  # db_instance_identifier or db_cluster_identifier
    database_resource_id: pulumi.Input[str]  # how IAM names the database (db-... or cluster-...)
    depends_on: list[pulumi.Resource]


class DatabaseProxy(pulumi.ComponentResource):
    """Outputs: `endpoint`, and `writer_connect_arn` (the `rds-db:connect` resource of the ledger writer here)."""

    proxy: aws.rds.Proxy
    endpoint: pulumi.Output[str]
    writer_connect_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseProxyArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:data:DatabaseProxy", name, None, opts)
        region, account = ctx.region, ctx.account_id
        proxy_name = ctx.name("db-proxy", "rds-proxy")
        role = service_role(
            f"{name}-role",
            role_type="role-db-proxy",
            service="rds.amazonaws.com",
            description="RDS Proxy reads the owner's secret and signs in to the database as the ledger writer",
            statements=[
                {
                    "Sid": "ReadOwnerSecret",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": args.owner_secret_arn,
                },
                {
                    "Sid": "ConnectAsLedgerWriter",
                    "Effect": "Allow",
                    "Action": "rds-db:connect",
                    "Resource": pulumi.Output.concat(
                        f"arn:aws:rds-db:{region}:{account}:dbuser:",
                        args.database_resource_id,
                        f"/{LEDGER_WRITER_USERNAME}",
                    ),
                },
                {
                    "Sid": "DecryptOwnerSecret",
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
            default_auth_scheme="IAM_AUTH",
            debug_logging=False,  # would log SQL text
            idle_client_timeout=IDLE_CLIENT_TIMEOUT_SECONDS,
            role_arn=role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[args.security_group_id],
            auths=[
                {
                    "auth_scheme": "SECRETS",
                    "secret_arn": args.owner_secret_arn,
                    "iam_auth": "DISABLED",
                    "client_password_auth_type": "POSTGRES_SCRAM_SHA_256",
                    "description": "Ledger owner (the migration step): master credentials RDS keeps and rotates",
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
        # The proxy's resource id is the last field of its ARN (arn:aws:rds:<region>:<account>:db-proxy:prx-...).
        self.writer_connect_arn = pulumi.Output.concat(
            f"arn:aws:rds-db:{region}:{account}:dbuser:",
            self.proxy.arn.apply(lambda arn: arn.rsplit(":", 1)[-1]),
            f"/{LEDGER_WRITER_USERNAME}",
        )
        self.register_outputs(
            {"endpoint": self.endpoint, "arn": self.proxy.arn, "writerConnectArn": self.writer_connect_arn}
        )

"""An IAM role that one AWS service assumes, with its one inline least-privilege policy."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.context import LayerContext


@dataclass(frozen=True)
class ServiceRole:
    role: aws.iam.Role
    policy: aws.iam.RolePolicy

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn


def service_role(
    logical_name: str,
    *,
    role_type: str,
    service: str,
    description: str,
    statements: Sequence[dict[str, Any]],
    ctx: LayerContext,
    parent: pulumi.Resource,
    source_arn: str | None = None,
) -> ServiceRole:
    """`service` (e.g. `rds.amazonaws.com`) may assume the role only for this account
    (and `source_arn`, when given); the role may do exactly what `statements` allow."""
    physical = ctx.name(role_type, "iam")
    role = aws.iam.Role(
        logical_name,
        name=physical,
        description=description,
        assume_role_policy=iam.to_json(iam.service_trust(service, ctx.account_id, source_arn)),
        permissions_boundary=ctx.permissions_boundary,
        tags=ctx.tags(physical),
        opts=ctx.tagged_child(parent),
    )
    policy = aws.iam.RolePolicy(
        f"{logical_name}-policy",
        role=role.id,
        policy=iam.to_json(iam.document(*statements)),
        opts=ctx.child(parent),
    )
    return ServiceRole(role, policy)

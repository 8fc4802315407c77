"""The deploy role's three documents as plain dicts (tests and the policy pack read them):
its trust, its permissions, and the permission boundary it and every role it creates carry.

Trust: one principal, and only with the session tags `shared.providers.aws_provider` sends
(environment = this environment, layer = one of the four layers, deployer = who). Session tags, not
an external id: an external id guards a third party's role against the confused deputy; here the
principal is our own CI role, and the tags additionally pin the environment and layer, which
CloudTrail then records on every call the session makes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared import iam
from shared.contracts import DEPLOY_ORDER
from shared.providers import SESSION_TAG_KEYS

# Regional services the four layers deploy, and the ones their workloads (Lambda, EC2 web tier,
# RDS roles) call at run time. Each is granted `<service>:*`, in the allowed regions only.
DEPLOY_SERVICES: tuple[str, ...] = (
    "ec2", "rds", "dynamodb", "s3", "kms", "secretsmanager", "lambda", "apigateway", "sqs", "sns",
    "elasticloadbalancing", "autoscaling", "acm", "wafv2", "logs", "cloudwatch", "xray", "cloudtrail",
)  # fmt: skip
# Read-only calls of the layers outside their services (the web tier's AMI is `resolve:ssm:`).
DEPLOY_READS: tuple[str, ...] = ("ssm:GetParameter", "ssm:GetParameters", "tag:GetResources")
WORKLOAD_SERVICES: tuple[str, ...] = ("ssm", "ssmmessages", "ec2messages", "rds-db")
# Global services: their calls are made in us-east-1 (aws:RequestedRegion), whatever the region.
GLOBAL_ACTIONS: tuple[str, ...] = ("iam:*", "sts:*", "route53:*", "health:*", "support:*")
# Services that create their own service-linked role when the layers first use them.
SERVICE_LINKED_SERVICES: tuple[str, ...] = (
    "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com",
    "ops.apigateway.amazonaws.com",
)  # fmt: skip
# Services the layers hand their roles to (iam:PassRole).
PASSED_TO: tuple[str, ...] = (
    "lambda.amazonaws.com", "rds.amazonaws.com", "monitoring.rds.amazonaws.com", "ec2.amazonaws.com",
    "apigateway.amazonaws.com", "autoscaling.amazonaws.com", "s3.amazonaws.com",
)  # fmt: skip
# Role changes that must keep the boundary on: refused (boundary) or not allowed (policy) otherwise.
BOUNDED_ROLE_ACTIONS: tuple[str, ...] = (
    "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
)  # fmt: skip
ROLE_MAINTENANCE_ACTIONS: tuple[str, ...] = (
    "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
    "iam:TagRole", "iam:UntagRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole", "iam:ListRoleTags",
)  # fmt: skip
INSTANCE_PROFILE_ACTIONS: tuple[str, ...] = (
    "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile",
    "iam:UntagInstanceProfile", "iam:ListInstanceProfileTags",
)  # fmt: skip
# Route 53 is global: certificate validation and alias records (application layer), not zones.
ROUTE53_ACTIONS: tuple[str, ...] = (
    "route53:ChangeResourceRecordSets", "route53:GetChange", "route53:GetHostedZone", "route53:ListHostedZones",
    "route53:ListHostedZonesByName", "route53:ListResourceRecordSets", "route53:ListTagsForResource",
)  # fmt: skip
IAM_READS: tuple[str, ...] = ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListRoles")
# What nobody holding the boundary may do to the deploy role, its policy or the boundary.
DEPLOY_ROLE_CHANGES: tuple[str, ...] = (
    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole",
)  # fmt: skip
POLICY_CHANGES: tuple[str, ...] = (
    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
)  # fmt: skip
CREDENTIAL_ACTIONS: tuple[str, ...] = (
    "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
    "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
)  # fmt: skip


@dataclass(frozen=True)
class DeployTarget:
    """Where and for whom the deploy role works: the inputs of all three documents."""

    account_id: str
    environment: str
    suffix: str
    regions: tuple[str, ...]  # platform:region first
    role_arn: str
    policy_arn: str
    boundary_arn: str

    def arn(self, kind: str, pattern: str) -> str:
        return f"arn:aws:iam::{self.account_id}:{kind}/{pattern}"

    @property
    def layer_names(self) -> str:
        """IAM name pattern of what the layers create: `*-<environment>-<suffix>*`."""
        return f"*-{self.environment}-{self.suffix}*"


def trust_policy(principal_arn: str, environment: str, layers: Sequence[str] = DEPLOY_ORDER) -> dict[str, Any]:
    """Only `principal_arn`, only tagged as the provider tags: this environment, one of the layers, a deployer."""
    tags = {"aws:RequestTag/environment": environment, "aws:RequestTag/layer": list(layers)}
    return iam.document(
        {
            "Sid": "OneDeployerWithSessionTags",
            "Effect": "Allow",
            "Principal": {"AWS": principal_arn},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": tags, "Null": {"aws:RequestTag/deployer": "false"}},
        },
        {
            "Sid": "OnlyTheProviderSessionTags",
            "Effect": "Allow",
            "Principal": {"AWS": principal_arn},
            "Action": "sts:TagSession",
            "Condition": {
                "StringEquals": tags,
                "ForAllValues:StringEquals": {"aws:TagKeys": list(SESSION_TAG_KEYS)},
            },
        },
    )


def _in_regions(regions: Sequence[str]) -> dict[str, Any]:
    return {"StringEquals": {"aws:RequestedRegion": list(regions)}}


def permissions_policy(target: DeployTarget) -> dict[str, Any]:
    """The layers' services in the allowed regions; IAM only for `*-<env>-<suffix>*` roles carrying the boundary."""
    role = target.arn("role", target.layer_names)
    boundary = {"StringEquals": {"iam:PermissionsBoundary": target.boundary_arn}}
    return iam.document(
        {
            "Sid": "LayerServicesInRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in DEPLOY_SERVICES] + list(DEPLOY_READS),
            "Resource": "*",
            "Condition": _in_regions(target.regions),
        },
        {"Sid": "LayerRolesCarryTheBoundary", "Effect": "Allow", "Action": list(BOUNDED_ROLE_ACTIONS), "Resource": role}
        | {"Condition": boundary},
        {
            "Sid": "LayerRolesAndProfiles",
            "Effect": "Allow",
            "Action": list(ROLE_MAINTENANCE_ACTIONS + INSTANCE_PROFILE_ACTIONS),
            "Resource": [role, target.arn("instance-profile", target.layer_names)],
        },
        {
            "Sid": "PassLayerRolesToTheirServices",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [role, target.arn("role", f"aws-service-role/*_{target.environment}-{target.suffix}")],
            "Condition": {"StringEquals": {"iam:PassedToService": list(PASSED_TO)}},
        },
        {
            "Sid": "ServiceLinkedRolesOfLayerServices",
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole", "iam:GetRole"],
            "Resource": target.arn("role", "aws-service-role/*"),
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_SERVICES)}},
        },
        {"Sid": "ReadPolicies", "Effect": "Allow", "Action": list(IAM_READS), "Resource": "*"},
        {"Sid": "Route53Records", "Effect": "Allow", "Action": list(ROUTE53_ACTIONS), "Resource": "*"},
    )


def boundary_policy(target: DeployTarget) -> dict[str, Any]:
    """The most the deploy role, and every role it creates, can ever do, whatever their own policies say."""
    protected_roles = [target.role_arn]
    return iam.document(
        {
            "Sid": "LayerServicesInRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in (*DEPLOY_SERVICES, *WORKLOAD_SERVICES)] + ["tag:GetResources"],
            "Resource": "*",
            "Condition": _in_regions(target.regions),
        },
        {"Sid": "GlobalServices", "Effect": "Allow", "Action": ["iam:*", "sts:*", "route53:*"], "Resource": "*"},
        {
            "Sid": "DenyLeavingTheRegions",
            "Effect": "Deny",
            "NotAction": list(GLOBAL_ACTIONS),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(target.regions)}},
        },
        {
            "Sid": "DenyRolesWithoutTheBoundary",
            "Effect": "Deny",
            "Action": list(BOUNDED_ROLE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": target.boundary_arn}},
        },
        {"Sid": "DenyChangingTheDeployRole", "Effect": "Deny", "Action": list(DEPLOY_ROLE_CHANGES)}
        | {"Resource": protected_roles},
        {
            "Sid": "DenyChangingTheBoundaryAndDeployPolicy",
            "Effect": "Deny",
            "Action": list(POLICY_CHANGES),
            "Resource": [target.boundary_arn, target.policy_arn],
        },
        {
            "Sid": "DenyUsersKeysAndUnboundedRoles",
            "Effect": "Deny",
            "Action": list(CREDENTIAL_ACTIONS),
            "Resource": "*",
        },
    )

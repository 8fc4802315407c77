"""Every document of the account's roles as plain dicts (tests and the policy pack read them).

Callers enter through an entry role and the Pulumi provider then assumes a target role from it:

- `ci-deploy-role-<env>-<suffix>`: GitHub Actions jobs of the repository in GitHub environment
  `<env>` (OIDC); may assume the deploy role.
- `ci-drift-role-<env>-<suffix>`: its jobs in GitHub environment `drift-<env>` (OIDC); may assume the
  drift role.
- `deployer-role-<env>-<suffix>`: people, through IAM Identity Center or SAML, with MFA or session
  tags; may assume both.

The target roles (`deploy-role-…` writes, `drift-role-…` reads) trust only those entry roles, and
only with the session tags `shared.providers.aws_provider` sends (environment = this environment,
layer = one of the four layers, deployer = who), so CloudTrail records them on every call. GitHub's
OIDC tokens cannot carry session tags (STS takes them from a token's `https://aws.amazon.com/tags`
claim, which GitHub does not issue), so the OIDC hop is pinned by the token's `sub` (repository and
GitHub environment) instead, and the tags are added at the provider's hop. Session tags, not an
external id: an external id guards a third party's role against the confused deputy; here every
principal is our own, and the tags pin environment and layer besides.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from payments.storage_schema import MERCHANTS_TABLE_TYPE
from shared import iam
from shared.contracts import DEPLOY_ORDER
from shared.naming import Namer
from shared.providers import (
    DEPLOY_BOUNDARY_TYPE,
    DEPLOY_POLICY_TYPE,
    DEPLOY_ROLE_TYPE,
    DRIFT_ROLE_TYPE,
    SESSION_TAG_KEYS,
)

# Regional services the four layers deploy, and the ones their workloads (Lambda, EC2 web tier,
# RDS roles) call at run time. Each is granted `<service>:*`, in the allowed regions only.
DEPLOY_SERVICES: tuple[str, ...] = (
    "ec2", "rds", "dynamodb", "s3", "kms", "secretsmanager", "ssm", "lambda", "apigateway", "sqs", "sns",
    "elasticloadbalancing", "autoscaling", "acm", "wafv2", "logs", "cloudwatch", "xray", "cloudtrail",
)  # fmt: skip
# Read-only calls outside the layers' services: the tagging API. (`make bump-image` reads AWS's public
# AL2023 image parameter with ssm:GetParameter, one of the deploy services.)
DEPLOY_READS: tuple[str, ...] = ("tag:GetResources",)
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
    "iam:*OpenIDConnectProvider*", "iam:*SAMLProvider",
)  # fmt: skip

# The roles besides the deploy role ({type}-{environment}-{suffix}); each has one policy, `<kind>-policy-...`.
CI_DEPLOY_ROLE_TYPE = "ci-deploy-role"
CI_DRIFT_ROLE_TYPE = "ci-drift-role"
DEPLOYER_ROLE_TYPE = "deployer-role"
ROLE_TYPES: tuple[str, ...] = (
    DEPLOY_ROLE_TYPE,
    DRIFT_ROLE_TYPE,
    CI_DEPLOY_ROLE_TYPE,
    CI_DRIFT_ROLE_TYPE,
    DEPLOYER_ROLE_TYPE,
)

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"

# What `pulumi refresh` (and a preview's reads) calls for each pulumi-aws module the layers use:
# configuration and metadata only. `make test` fails when a layer starts using a module missing here.
REFRESH_READS: dict[str, tuple[str, ...]] = {
    "acm": ("acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"),
    "apigateway": ("apigateway:GET",),
    "autoscaling": ("autoscaling:Describe*",),
    "cloudtrail": (
        "cloudtrail:DescribeTrails", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors", "cloudtrail:ListTags",
    ),
    "cloudwatch": (
        "cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard", "cloudwatch:ListTagsForResource",
        "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
    ),
    "dynamodb": ("dynamodb:Describe*", "dynamodb:ListTagsOfResource"),
    "ec2": ("ec2:Describe*",),
    "iam": ("iam:Get*", "iam:List*"),
    "kms": (
        "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
    ),
    "lambda": ("lambda:Get*", "lambda:List*"),
    "lb": ("elasticloadbalancing:Describe*",),
    "rds": ("rds:Describe*", "rds:ListTagsForResource"),
    "route53": ("route53:Get*", "route53:List*"),
    "s3": (
        "s3:GetBucket*", "s3:GetLifecycleConfiguration", "s3:GetEncryptionConfiguration",
        "s3:GetReplicationConfiguration", "s3:GetAccelerateConfiguration", "s3:ListBucket",
    ),
    "secretsmanager": ("secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
                       "secretsmanager:ListSecretVersionIds"),
    "sns": ("sns:GetTopicAttributes", "sns:GetSubscriptionAttributes", "sns:ListTagsForResource",
            "sns:ListSubscriptionsByTopic"),
    "sqs": ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags", "sqs:ListDeadLetterSourceQueues"),
    # (a parameter's value is read back too: `ReadParameterValuesTheStateHolds`)
    "ssm": ("ssm:DescribeParameters", "ssm:ListTagsForResource"),
    "vpc": ("ec2:Describe*",),
    "wafv2": ("wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:GetLoggingConfiguration",
              "wafv2:ListTagsForResource", "wafv2:ListResourcesForWebACL"),
    "xray": ("xray:GetGroup", "xray:GetGroups", "xray:GetSamplingRules", "xray:ListTagsForResource"),
}  # fmt: skip
# Modules whose calls are global (aws:RequestedRegion us-east-1), read without the region condition.
GLOBAL_MODULES: tuple[str, ...] = ("iam", "route53")
# Reads of the data itself (payments, audit logs, messages, traces, requests): never the drift role's.
DATA_READS: tuple[str, ...] = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:GetRecords",
    "dynamodb:PartiQLSelect", "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "sqs:ReceiveMessage",
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:StartLiveTail",
    "xray:GetTraceSummaries", "xray:BatchGetTraces", "xray:GetTraceGraph", "wafv2:GetSampledRequests",
    "cloudtrail:LookupEvents", "rds-db:connect", "rds-data:ExecuteStatement", "lambda:InvokeFunction",
    "kms:Decrypt",
)  # fmt: skip


@dataclass(frozen=True)
class StateAccess:
    """The S3 state bucket (and its KMS key) the entry roles read and write Pulumi's state in."""

    bucket: str
    kms_key_arn: str | None

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"

    @property
    def resources(self) -> list[str]:
        return [self.bucket_arn, f"{self.bucket_arn}/*", *([self.kms_key_arn] if self.kms_key_arn else [])]


@dataclass(frozen=True)
class DeployTarget:
    """Where and for whom the roles work: the inputs of every document."""

    account_id: str
    environment: str
    suffix: str
    regions: tuple[str, ...]  # platform:region first
    state: StateAccess | None = None

    def arn(self, kind: str, pattern: str) -> str:
        return f"arn:aws:iam::{self.account_id}:{kind}/{pattern}"

    def name(self, resource_type: str) -> str:
        return Namer(self.environment, self.suffix).name(resource_type, "iam")

    def role(self, role_type: str) -> str:
        """ARN of one of the account's roles (`ROLE_TYPES`)."""
        return self.arn("role", self.name(role_type))

    def policy(self, role_type: str) -> str:
        """ARN of that role's one managed policy: `deploy-role` -> `deploy-policy-<env>-<suffix>`."""
        return self.arn("policy", self.name(policy_type(role_type)))

    @property
    def boundary_arn(self) -> str:
        return self.arn("policy", self.name(DEPLOY_BOUNDARY_TYPE))

    @property
    def layer_names(self) -> str:
        """IAM name pattern of what the layers create: `*-<environment>-<suffix>*`."""
        return f"*-{self.environment}-{self.suffix}*"

    @property
    def github_oidc_provider(self) -> str:
        """The account's GitHub OIDC provider: one per URL and account, so its ARN is known in advance."""
        return self.arn("oidc-provider", GITHUB_OIDC_HOST)


def policy_type(role_type: str) -> str:
    return DEPLOY_POLICY_TYPE if role_type == DEPLOY_ROLE_TYPE else role_type.removesuffix("-role") + "-policy"


def github_environments(environment: str) -> dict[str, str]:
    """The GitHub environments whose jobs may enter: deploys in `<env>`, nightly drift checks in `drift-<env>`."""
    return {"deploy": environment, "drift": f"drift-{environment}"}


def trust_policy(
    principal_arns: Sequence[pulumi.Input[str]], environment: str, layers: Sequence[str] = DEPLOY_ORDER
) -> dict[str, Any]:
    """Target roles: only the entry roles `principal_arns`, only tagged as the provider tags: this
    environment, one of the layers, a deployer, and no other tag key."""
    tags = {"aws:RequestTag/environment": environment, "aws:RequestTag/layer": list(layers)}
    return iam.document(
        {
            "Sid": "EntryRolesWithSessionTags",
            "Effect": "Allow",
            "Principal": {"AWS": list(principal_arns)},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": tags, "Null": {"aws:RequestTag/deployer": "false"}},
        },
        {
            "Sid": "OnlyTheProviderSessionTags",
            "Effect": "Allow",
            "Principal": {"AWS": list(principal_arns)},
            "Action": "sts:TagSession",
            "Condition": {
                "StringEquals": tags,
                "ForAllValues:StringEquals": {"aws:TagKeys": list(SESSION_TAG_KEYS)},
            },
        },
    )


def github_trust(provider_arn: pulumi.Input[str], repository: str, github_environment: str) -> dict[str, Any]:
    """CI entry roles: only jobs of `repository` running in `github_environment` (its `sub` claim, exact),
    with tokens minted for STS. No session-tag condition: GitHub's tokens carry none."""
    return iam.document(
        {
            "Sid": "GithubEnvironmentJobs",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE,
                    f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{github_environment}",
                }
            },
        }
    )


def human_trust(
    iam_principals: Sequence[str], saml_providers: Sequence[str], require_mfa: bool, session_tags: dict[str, str]
) -> dict[str, Any]:
    """The deployer role: people signed in as `iam_principals` (MFA and/or their session's principal
    tags), or federated by `saml_providers` (the session tags their IdP sends)."""
    statements = []
    if iam_principals:
        condition: dict[str, Any] = {}
        if require_mfa:
            condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        if session_tags:
            condition["StringEquals"] = {f"aws:PrincipalTag/{k}": v for k, v in sorted(session_tags.items())}
        statements.append(
            {
                "Sid": "PeopleSignedIn",
                "Effect": "Allow",
                "Principal": {"AWS": list(iam_principals)},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        )
    if saml_providers:
        tags = {f"aws:RequestTag/{k}": v for k, v in sorted(session_tags.items())}
        statements.append(
            {
                "Sid": "PeopleFederatedBySaml",
                "Effect": "Allow",
                "Principal": {"Federated": list(saml_providers)},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE, **tags}},
            }
        )
    return iam.document(*statements)


def entry_permissions(target: DeployTarget, assumes: Sequence[str], *, writes_state: bool) -> dict[str, Any]:
    """An entry role may only assume its target roles (with the provider's session tags) and use the
    state bucket: read and write, or (drift) read and take the stack lock."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AssumeTargetRolesWithSessionTags",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": [target.role(role_type) for role_type in assumes],
        }
    ]
    if state := target.state:
        objects = f"{state.bucket_arn}/*" if writes_state else f"{state.bucket_arn}/.pulumi/locks/*"
        statements += [
            {
                "Sid": "StateBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
                "Resource": state.bucket_arn,
            },
            {"Sid": "ReadState", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{state.bucket_arn}/*"},
            {
                "Sid": "WriteState",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": objects,
            },
        ]
        if state.kms_key_arn:
            statements.append(
                {
                    "Sid": "StateKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": state.kms_key_arn,
                }
            )
    return iam.document(*statements)


def drift_permissions(target: DeployTarget) -> dict[str, Any]:
    """What the drift role may do: read the configuration of every kind of resource the layers
    declare (`REFRESH_READS`), and the values Pulumi's state already holds, which a refresh reads back
    (a `SecretVersion`, a SecureString `Parameter`, the merchants table's items); never the data
    itself (`DATA_READS`)."""
    regional = sorted({a for module, actions in REFRESH_READS.items() if module not in GLOBAL_MODULES for a in actions})
    global_reads = sorted({a for module in GLOBAL_MODULES for a in REFRESH_READS[module]})
    account = target.account_id
    secrets = [f"arn:aws:secretsmanager:{region}:{account}:secret:{target.layer_names}" for region in target.regions]
    parameters = [f"arn:aws:ssm:{region}:{account}:parameter/{target.layer_names}" for region in target.regions]
    merchants = Namer(target.environment, target.suffix).name(MERCHANTS_TABLE_TYPE, "dynamodb")
    merchant_tables = [f"arn:aws:dynamodb:{region}:{account}:table/{merchants}" for region in target.regions]
    return iam.document(
        {
            "Sid": "ReadLayerResourcesInRegion",
            "Effect": "Allow",
            "Action": regional,
            "Resource": "*",
            "Condition": _in_regions(target.regions),
        },
        {"Sid": "ReadGlobalResources", "Effect": "Allow", "Action": global_reads, "Resource": "*"},
        {
            "Sid": "ReadSecretValuesTheStateHolds",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secrets,
        },
        {
            "Sid": "ReadParameterValuesTheStateHolds",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": parameters,
        },
        {
            "Sid": "DecryptThoseSecretsOnly",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": [
                        f"{service}.{r}.amazonaws.com" for service in ("secretsmanager", "ssm") for r in target.regions
                    ]
                }
            },
        },
        # The application layer's deploy writes the merchants table's items: key id -> merchant, and the ALB
        # door's digests of the keys (a Pulumi secret); a refresh reads each back.
        {
            "Sid": "ReadMerchantEntriesTheStateHolds",
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": merchant_tables,
        },
        {
            "Sid": "NeverTheData",
            "Effect": "Deny",
            "Action": [a for a in DATA_READS if a not in ("kms:Decrypt", "dynamodb:GetItem")],
            "Resource": "*",
        },
        {
            "Sid": "NeverTheItemsOfOtherTables",
            "Effect": "Deny",
            "Action": "dynamodb:GetItem",
            "NotResource": merchant_tables,
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
    state = target.state.resources if target.state else []
    return iam.document(
        {
            "Sid": "LayerServicesInRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in dict.fromkeys((*DEPLOY_SERVICES, *WORKLOAD_SERVICES))]
            + ["tag:GetResources"],
            "Resource": "*",
            "Condition": _in_regions(target.regions),
        },
        {"Sid": "GlobalServices", "Effect": "Allow", "Action": ["iam:*", "sts:*", "route53:*"], "Resource": "*"},
        *(
            [{"Sid": "StateBackend", "Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": state}]
            if state
            else []
        ),
        {
            "Sid": "DenyLeavingTheRegions",
            "Effect": "Deny",
            "NotAction": list(GLOBAL_ACTIONS),
            **({"NotResource": state} if state else {"Resource": "*"}),
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(target.regions)}},
        },
        {
            "Sid": "DenyRolesWithoutTheBoundary",
            "Effect": "Deny",
            "Action": list(BOUNDED_ROLE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": target.boundary_arn}},
        },
        {"Sid": "DenyChangingTheAccountRoles", "Effect": "Deny", "Action": list(DEPLOY_ROLE_CHANGES)}
        | {"Resource": [target.role(role_type) for role_type in ROLE_TYPES]},
        {
            "Sid": "DenyChangingTheBoundaryAndRolePolicies",
            "Effect": "Deny",
            "Action": list(POLICY_CHANGES),
            "Resource": [target.boundary_arn, *(target.policy(role_type) for role_type in ROLE_TYPES)],
        },
        {
            "Sid": "DenyUsersKeysAndIdentityProviders",
            "Effect": "Deny",
            "Action": list(CREDENTIAL_ACTIONS),
            "Resource": "*",
        },
    )

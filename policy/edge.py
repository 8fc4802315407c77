"""The public edge and the web tier: listeners that never serve plain HTTP, TLS 1.2+, launch
templates with IMDSv2, encrypted volumes and no public IPs, ALBs that log and drop invalid
headers, and WAF on every internet-facing ALB where it is configured (always in prod)."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from policy.rules import items, known, of_type, refers_to, resource_policy, stack_policy, value

LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

# ELB security policies that allow only TLS 1.2 and 1.3 (AWS: "Security policies for your ALB").
TLS12_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)


def _is_redirect_to_https(action: Mapping[str, Any]) -> bool:
    return value(action, "type") == "redirect" and value(action, "redirect", "protocol") == "HTTPS"


def _no_plain_http(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "protocol") != "HTTP":
        return None
    actions = items(value(args.props, "defaultActions"))
    if actions and all(_is_redirect_to_https(a) for a in actions):
        return None
    return "a plain-HTTP listener does more than redirect: its only default action must redirect to HTTPS (HTTP_301)"


def _tls_policy(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "protocol") not in ("HTTPS", "TLS"):
        return None
    policy = value(args.props, "sslPolicy")
    if policy in TLS12_POLICIES:
        return None
    return f"sslPolicy {policy!r} allows TLS below 1.2: use ELBSecurityPolicy-TLS13-1-2-2021-06"


def _imdsv2(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "metadataOptions", "httpTokens") != "required":
        return "instances answer IMDSv1: set metadataOptions.httpTokens=required"
    if value(args.props, "metadataOptions", "httpPutResponseHopLimit") != 1:
        return "the metadata token can leave the instance: set metadataOptions.httpPutResponseHopLimit=1"
    return None


def _truthy(flag: Any) -> bool:
    return flag is True or str(flag).lower() == "true"


def _volumes_encrypted(args: ResourceValidationArgs) -> str | None:
    mappings = items(value(args.props, "blockDeviceMappings"))
    if not mappings:
        return "no block device mapping: declare the root volume with ebs.encrypted=true and kmsKeyId (the data key)"
    for mapping in mappings:
        device = value(mapping, "deviceName")
        if not _truthy(value(mapping, "ebs", "encrypted")):
            return f"volume {device} is not encrypted: set ebs.encrypted=true"
        if not value(mapping, "ebs", "kmsKeyId"):
            return f"volume {device} uses the AWS-managed key: set ebs.kmsKeyId to the data key"
    return None


def _no_public_ip(args: ResourceValidationArgs) -> str | None:
    for interface in items(value(args.props, "networkInterfaces")):
        if _truthy(value(interface, "associatePublicIpAddress")):
            return "instances get public IPs: drop associatePublicIpAddress (the web tier is reached through the ALB)"
    return None


def _alb_logs(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "loadBalancerType") not in (None, "application"):
        return None
    if value(args.props, "accessLogs", "enabled") is True and value(args.props, "accessLogs", "bucket"):
        return None
    return "access logs are off: set accessLogs {bucket: the data layer's ALB log bucket, enabled: true}"


def _alb_drops_invalid_headers(args: ResourceValidationArgs) -> str | None:
    if value(args.props, "loadBalancerType") not in (None, "application"):
        return None
    if value(args.props, "dropInvalidHeaderFields") is True:
        return None
    return "invalid HTTP header fields reach the targets: set dropInvalidHeaderFields=true"


def _waf_where_configured(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    """Every internet-facing ALB is associated with a web ACL when the stack has one, and always in
    prod (tag Environment=prod); every web ACL logs."""
    acls = of_type(args, WEB_ACL)
    associations = of_type(args, WEB_ACL_ASSOCIATION)
    for alb in of_type(args, LOAD_BALANCER):
        if known(alb.props, "internal") is True:
            continue
        required = bool(acls) or known(alb.props, "tags", "Environment") == "prod"
        if required and not any(refers_to(a, "resourceArn", alb, ("arn",)) for a in associations):
            yield alb.urn, f"{alb.name} faces the internet without WAF: associate it with the web ACL (application:waf)"
    logging = of_type(args, WEB_ACL_LOGGING)
    for acl in acls:
        if not any(refers_to(c, "resourceArn", acl, ("arn",)) for c in logging):
            yield acl.urn, f"{acl.name} does not log: add a WebAclLoggingConfiguration to an aws-waf-logs-* group"


POLICIES = (
    resource_policy(
        "alb-listener-no-plain-http (ELB.1)",
        "A plain-HTTP listener only redirects to HTTPS; nothing is served over HTTP.",
        {LISTENER: _no_plain_http},
    ),
    resource_policy(
        "alb-listener-tls12-policy (ELB.17)",
        "HTTPS and TLS listeners use a security policy that allows only TLS 1.2 and 1.3.",
        {LISTENER: _tls_policy},
    ),
    resource_policy(
        "launch-template-imdsv2 (EC2.170, CKV_AWS_79)",
        "Launch templates require IMDSv2 tokens with a hop limit of 1.",
        {LAUNCH_TEMPLATE: _imdsv2},
    ),
    resource_policy(
        "launch-template-ebs-encrypted (CKV_AWS_8)",
        "Every volume of a launch template is encrypted with the customer-managed key.",
        {LAUNCH_TEMPLATE: _volumes_encrypted},
    ),
    resource_policy(
        "launch-template-no-public-ip (EC2.25)",
        "Launch templates never give instances public IP addresses.",
        {LAUNCH_TEMPLATE: _no_public_ip},
    ),
    resource_policy(
        "alb-access-logs-enabled (ELB.5)",
        "Application load balancers write access logs.",
        {LOAD_BALANCER: _alb_logs},
    ),
    resource_policy(
        "alb-drop-invalid-header-fields (ELB.4)",
        "Application load balancers drop invalid HTTP header fields.",
        {LOAD_BALANCER: _alb_drops_invalid_headers},
    ),
    stack_policy(
        "alb-waf-where-configured (WAF.2, CKV2_AWS_28)",
        "Internet-facing ALBs are behind the web ACL where one is configured, always in prod; web ACLs log.",
        _waf_where_configured,
    ),
)

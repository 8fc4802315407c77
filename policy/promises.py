"""What the README promises, held on every plan and every preview: nothing decided at launch (pinned
images), the audit trail reviewed and its buckets access-logged, ACLs closed to remote administration,
keys recoverable for 30 days, and no AWS managed policy where a scoped one belongs."""

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policy.rules import ANYWHERE, items, known, of_type, principals, resource_policy, stack_policy, statements, value

KEY = "aws:kms/key:Key"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

KEY_DELETION_WINDOW_DAYS = 30
# Remote administration ports (checkov CKV_AWS_229 to 232: FTP data and control, SSH, RDP).
ADMIN_PORTS = (20, 21, 22, 3389)
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"
AWS_MANAGED_POLICY = "arn:aws:iam::aws:policy/"
# One event each CIS AWS Foundations metric filter on the trail must match (Security Hub CloudWatch.1-14).
CIS_EVENTS = (
    "Root",
    "UnauthorizedOperation",
    "MFAUsed",
    "PutRolePolicy",
    "StopLogging",
    "Failed authentication",
    "ScheduleKeyDeletion",
    "PutBucketPolicy",
    "StopConfigurationRecorder",
    "AuthorizeSecurityGroupIngress",
    "CreateNetworkAclEntry",
    "AttachInternetGateway",
    "CreateRoute",
    "CreateVpc",
)


def _deletion_window(args: ResourceValidationArgs) -> str | None:
    days = value(args.props, "deletionWindowInDays")
    if days is None or days < KEY_DELETION_WINDOW_DAYS:
        return (
            f"deletionWindowInDays is {days or 'the default'}: set {KEY_DELETION_WINDOW_DAYS}, so a key scheduled for "
            "deletion by mistake (and everything it encrypts) stays recoverable for a month"
        )
    return None


def _pinned_image(args: ResourceValidationArgs) -> str | None:
    image = value(args.props, "imageId")
    if image is not None and not str(image).startswith("ami-"):
        return (
            f"imageId {image!r} is decided at every launch: pin an ami- id (application:webImage, make bump-image), "
            "so what launches is what was reviewed and environments differ only where declared"
        )
    return None


def _acl_closed_to_administration(args: ResourceValidationArgs) -> str | None:
    """AWS evaluates ingress rules by number, first match wins: a port is open if an allow matches first."""
    for port in ADMIN_PORTS:
        ordered = sorted(items(value(args.props, "ingress")), key=lambda rule: value(rule, "ruleNo") or 0)
        for rule in ordered:
            low, high = value(rule, "fromPort") or 0, value(rule, "toPort") or 0
            matches = value(rule, "protocol") in ("-1", "all") or low <= port <= high
            if not matches or value(rule, "cidrBlock") not in ANYWHERE:
                continue
            if value(rule, "action") == "allow":
                return (
                    f"rule {value(rule, 'ruleNo')} admits port {port} from {value(rule, 'cidrBlock')}: deny the "
                    "remote administration ports 20, 21, 22 and 3389 from anywhere before any allow that covers them"
                )
            break
    return None


def _receives_access_logs(bucket: PolicyResource, policies: list[PolicyResource]) -> bool:
    """Its bucket policy lets S3 log delivery write into it: it is the access-log destination."""
    name = known(bucket.props, "bucket")
    for policy in policies:
        if known(policy.props, "bucket") != name:
            continue
        for statement in statements(known(policy.props, "policy")):
            if value(statement, "Effect") == "Allow" and S3_LOG_DELIVERY in principals(statement):
                return True
    return False


def _buckets_access_logged(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    logged = {known(logging.props, "bucket") for logging in of_type(args, BUCKET_LOGGING)}
    policies = of_type(args, BUCKET_POLICY)
    for bucket in of_type(args, BUCKET):
        name = known(bucket.props, "bucket")
        if name is None or name in logged or _receives_access_logs(bucket, policies):
            continue
        yield (
            bucket.urn,
            f"{name} logs no access: add a BucketLogging into the environment's access-log bucket "
            "(PCI DSS 10.2.1.3); only the access-log bucket itself is exempt",
        )


def _trail_reviewed(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    filters = of_type(args, METRIC_FILTER)
    alarmed = {known(alarm.props, "metricName") for alarm in of_type(args, METRIC_ALARM)}
    for trail in of_type(args, TRAIL):
        group = known(trail.props, "cloudWatchLogsGroupArn")
        if not group:
            yield trail.urn, "the trail is not delivered to CloudWatch Logs: set cloudWatchLogsGroupArn (CKV2_AWS_10)"
            continue
        name = str(group).removesuffix(":*").rsplit(":log-group:", 1)[-1]
        reviewed = [f for f in filters if known(f.props, "logGroupName") == name]
        patterns = " ".join(str(known(f.props, "pattern") or "") for f in reviewed)
        missing = [event for event in CIS_EVENTS if event not in patterns]
        unalarmed = [f.name for f in reviewed if known(f.props, "metricTransformation", "name") not in alarmed]
        if missing or unalarmed:
            yield (
                trail.urn,
                f"the trail's log group is not reviewed for {', '.join(missing) or 'nothing missing'}; filters without "
                f"an alarm: {', '.join(unalarmed) or 'none'} (CIS metric filters and alarms, PCI DSS 10.4.1.1)",
            )


def _no_aws_managed_policy(args: ResourceValidationArgs) -> str | None:
    arn = str(value(args.props, "policyArn") or "")
    if arn.startswith(AWS_MANAGED_POLICY):
        return f"{arn} is an AWS managed policy, broader than any role here needs: grant a scoped inline policy"
    return None


POLICIES = (
    resource_policy(
        "kms-key-deletion-window-30-days",
        "Every KMS key waits 30 days before it is deleted (the longest window): a mistake can be undone.",
        {KEY: _deletion_window},
    ),
    resource_policy(
        "launch-template-pinned-image",
        "Launch templates name an ami- id, never a lookup resolved at launch (resolve:ssm:).",
        {LAUNCH_TEMPLATE: _pinned_image},
    ),
    resource_policy(
        "nacl-no-remote-administration-from-anywhere (CKV_AWS_229-232)",
        "No network ACL admits ports 20, 21, 22 or 3389 from anywhere (first matching rule wins).",
        {NETWORK_ACL: _acl_closed_to_administration},
    ),
    stack_policy(
        "s3-bucket-access-logging (S3.9)",
        "Every bucket logs its accesses into the access-log bucket, which alone is exempt (it receives the logs).",
        _buckets_access_logged,
    ),
    stack_policy(
        "cloudtrail-reviewed-by-cis-metric-filters (CKV2_AWS_10, CloudWatch.1-14)",
        "Trails deliver to CloudWatch Logs, whose CIS metric filters each have an alarm.",
        _trail_reviewed,
    ),
    resource_policy(
        "iam-no-aws-managed-policies",
        "No role attaches an AWS managed policy: every role has a scoped policy of its own.",
        {POLICY_ATTACHMENT: _no_aws_managed_policy},
    ),
)

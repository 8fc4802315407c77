"""EC2 web tier, blue/green: per colour a target group, a launch template and an Auto Scaling group.

Two parts, so the listener can sit between them:
- `WebTargetGroups`: one target group per colour, named `tg-<colour>-<env>-<suffix>-<hash>` (the
  hash of what forces a replacement, so a replacement under the listener gets a new name). The 443
  listener forwards to both with weights from config.
- `WebTier`: the instance profile and log groups, then per colour a launch template and an Auto
  Scaling group. It is created after the listener, because the ALB health-checks only target
  groups a listener references, and each group waits until its instances are healthy there.

The image is pinned (`application:webImage`, changed by `make bump-image`): an instance launched
next month runs what was reviewed, and two environments differ in image only where their stack
files say so. The instance role has one inline policy with exactly what the instance does (the
CloudWatch agent's metrics and log streams, traces to X-Ray, Session Manager), never an AWS
managed policy.

Launch templates never carry `DeployedAt` in their tag specifications (it changes daily and would
make a new template version every day); instances are replaced only by `make release`, which
refreshes the idle colour's instances, never by `pulumi up`.
"""

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from application.settings import COLORS, Color, WebImageSettings, WebTierSettings
from shared import iam
from shared.context import LayerContext
from shared.tagging import DEPLOYED_AT

WEB_PORT = 8080  # networking/security_groups.py: the ALB reaches the web tier on this port only
HEALTH_PATH = "/health"
USER_DATA = Path(__file__).parent / "web" / "user_data.sh"
LOG_STREAMS: tuple[str, ...] = ("nginx-access", "nginx-error", "bootstrap")
METRICS_NAMESPACE = "Payments/WebTier"  # the CloudWatch agent's namespace in user_data.sh
# What the instance's agents call: X-Ray's write and sampling calls (traces), Session Manager's
# channels (a shell without SSH); none of them supports resource-level permissions.
TRACE_ACTIONS: tuple[str, ...] = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)
SESSION_MANAGER_ACTIONS: tuple[str, ...] = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
DEREGISTRATION_DELAY_SECONDS = 30
HEALTH_CHECK_GRACE_SECONDS = 300


def instance_statements(region: str, account_id: str, log_prefix: str) -> list[dict[str, object]]:
    """What the web tier's instances call, and nothing more (tests/application/test_web_tier.py derives
    the same from user_data.sh): the CloudWatch agent writes its metrics (one namespace) and the
    streams of this environment's web log groups, and reads instance tags for the AutoScalingGroupName
    dimension; traces go to X-Ray; the SSM agent registers and opens Session Manager channels."""
    groups = f"arn:aws:logs:{region}:{account_id}:log-group:{log_prefix}/*"
    return [
        {
            "Sid": "WriteWebTierLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": groups,
        },
        {
            "Sid": "PublishWebTierMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
        },
        {"Sid": "ReadInstanceTagsForDimensions", "Effect": "Allow", "Action": "ec2:DescribeTags", "Resource": "*"},
        {"Sid": "SendTraces", "Effect": "Allow", "Action": list(TRACE_ACTIONS), "Resource": "*"},
        {
            "Sid": "RegisterWithSessionManager",
            "Effect": "Allow",
            "Action": "ssm:UpdateInstanceInformation",
            "Resource": f"arn:aws:ec2:{region}:{account_id}:instance/*",
        },
        {"Sid": "SessionManagerChannels", "Effect": "Allow", "Action": list(SESSION_MANAGER_ACTIONS), "Resource": "*"},
    ]


def render_user_data(color: Color) -> str:
    """application/web/user_data.sh with its placeholders filled, base64 (what launch templates take).

    Only the colour and port are filled in: the environment, region and log groups come from the
    instance's metadata and tags, so both colours differ by one word and every environment runs
    the same script."""
    values = {"COLOR": color, "PORT": str(WEB_PORT)}
    script = USER_DATA.read_text()
    for key, value in values.items():
        script = script.replace(f"@@{key}@@", value)
    if "@@" in script:
        raise ValueError(f"{USER_DATA.name} has a placeholder render_user_data does not fill")
    return base64.b64encode(script.encode()).decode()


@dataclass(frozen=True)
class WebTargetGroupsArgs:
    vpc_id: pulumi.Input[str]


class WebTargetGroups(pulumi.ComponentResource):
    groups: dict[Color, aws.lb.TargetGroup]

    def __init__(
        self, name: str, args: WebTargetGroupsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:application:WebTargetGroups", name, None, opts)
        # What forces a replacement of a target group (its name hashes them).
        replacing: dict[str, Any] = {"target_type": "instance", "port": WEB_PORT, "protocol": "HTTP"}
        self.groups = {}
        for color in COLORS:
            group_name = ctx.namer.replaceable_name(f"tg-{color}", "elb", replacing)
            self.groups[color] = aws.lb.TargetGroup(
                f"{name}-{color}",
                name=group_name,
                vpc_id=args.vpc_id,
                **replacing,
                deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    enabled=True,
                    path=HEALTH_PATH,
                    protocol="HTTP",
                    port="traffic-port",
                    matcher="200",
                    interval=15,
                    timeout=5,
                    healthy_threshold=3,
                    unhealthy_threshold=2,
                ),
                tags=ctx.tags(group_name),
                opts=ctx.tagged_child(self, delete_before_replace=False),
            )
        self.register_outputs({color: tg.arn for color, tg in self.groups.items()})


@dataclass(frozen=True)
class WebTierArgs:
    settings: WebTierSettings
    image: WebImageSettings  # application:webImage
    target_groups: Mapping[Color, aws.lb.TargetGroup]
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    autoscaling_role_arn: pulumi.Input[str]
    log_retention_days: int
    # What references the target groups: the ALB health-checks them only then, and each group waits
    # for healthy instances, so the groups come after it.
    listeners: pulumi.Resource


class WebTier(pulumi.ComponentResource):
    launch_templates: dict[Color, aws.ec2.LaunchTemplate]
    groups: dict[Color, aws.autoscaling.Group]

    def __init__(self, name: str, args: WebTierArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:WebTier", name, None, opts)
        log_prefix = ctx.namer.check(f"/{ctx.name('web')}", "logs")  # /web-<env>-<suffix>: the data key's pattern
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-logs-{stream}",
                name=f"{log_prefix}/{stream}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags=ctx.tags(),
                opts=ctx.tagged_child(self),
            )
            for stream in LOG_STREAMS
        ]
        profile = self._instance_profile(name, ctx, log_prefix)
        self.launch_templates, self.groups = {}, {}
        for color in COLORS:
            template = self._launch_template(
                name, ctx=ctx, args=args, color=color, profile=profile, log_prefix=log_prefix
            )
            self.launch_templates[color] = template
            self.groups[color] = self._group(
                name, ctx=ctx, args=args, color=color, template=template, log_groups=log_groups
            )
        self.register_outputs({color: group.name for color, group in self.groups.items()})

    def _instance_profile(self, name: str, ctx: LayerContext, log_prefix: str) -> aws.iam.InstanceProfile:
        physical = ctx.name("role-web", "iam")
        role = aws.iam.Role(
            f"{name}-role",
            name=physical,
            description="EC2 web tier: its CloudWatch agent's metrics and logs, traces, Session Manager only",
            assume_role_policy=iam.to_json(
                iam.document(
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                )
            ),
            permissions_boundary=ctx.permissions_boundary,
            tags=ctx.tags(physical),
            opts=ctx.tagged_child(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=iam.to_json(iam.document(*instance_statements(ctx.region, ctx.account_id, log_prefix))),
            opts=ctx.child(self),
        )
        return aws.iam.InstanceProfile(
            f"{name}-profile",
            name=ctx.name("profile-web", "iam"),
            role=role.name,
            tags=ctx.tags(ctx.name("profile-web", "iam")),
            opts=ctx.tagged_child(self, depends_on=[policy]),
        )

    def _launch_template(
        self,
        name: str,
        *,
        ctx: LayerContext,
        args: WebTierArgs,
        color: Color,
        profile: aws.iam.InstanceProfile,
        log_prefix: str,
    ) -> aws.ec2.LaunchTemplate:
        physical = ctx.name(f"web-{color}", "ec2")
        # DeployedAt changes every day: in tag specifications it would make a new template version daily.
        instance_tags = {k: v for k, v in ctx.tags(physical).items() if k != DEPLOYED_AT} | {
            "Color": color,
            "LogGroupPrefix": log_prefix,  # read by user_data.sh through the instance metadata
            "ImageName": args.image.name,  # the release, the same in every region (the promotion gate reads it)
        }
        return aws.ec2.LaunchTemplate(
            f"{name}-{color}",
            name=physical,
            description=f"Payments web tier, {color}",
            image_id=args.image.id,
            instance_type=args.settings.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            vpc_security_group_ids=[args.security_group_id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="enabled",  # user_data.sh reads Environment and LogGroupPrefix
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true",
                        kms_key_id=args.kms_key_arn,
                        volume_size=20,
                        volume_type="gp3",
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=render_user_data(color),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                for kind in ("instance", "volume")
            ],
            tags=ctx.tags(physical) | {"ImageName": args.image.name},
            opts=ctx.tagged_child(self),
        )

    def _group(
        self,
        name: str,
        *,
        ctx: LayerContext,
        args: WebTierArgs,
        color: Color,
        template: aws.ec2.LaunchTemplate,
        log_groups: Sequence[aws.cloudwatch.LogGroup],
    ) -> aws.autoscaling.Group:
        physical = ctx.name(f"asg-web-{color}", "ec2")
        size = args.settings
        # ASG tags are a list, so the shared `tags["DeployedAt"]` ignore path does not fit: sorted by
        # key, DeployedAt has a fixed position, and only its value is ignored after the first up.
        tags = sorted((ctx.tags(physical) | {"Color": color}).items())
        deployed_at = next(i for i, (key, _) in enumerate(tags) if key == DEPLOYED_AT)
        return aws.autoscaling.Group(
            f"{name}-{color}",
            name=physical,
            min_size=size.min_size,
            max_size=size.max_size,
            desired_capacity=size.desired_capacity,
            vpc_zone_identifiers=args.subnet_ids,
            target_group_arns=[args.target_groups[color].arn],
            health_check_type="ELB",
            health_check_grace_period=HEALTH_CHECK_GRACE_SECONDS,
            wait_for_elb_capacity=size.desired_capacity,
            service_linked_role_arn=args.autoscaling_role_arn,
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            enabled_metrics=[
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
                aws.autoscaling.Metric.GROUP_TOTAL_INSTANCES,
            ],
            # Instances get their tags from the launch template (without DeployedAt).
            tags=[aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=False) for key, value in tags],
            opts=ctx.child(
                self, depends_on=[*log_groups, args.listeners], ignore_changes=[f"tags[{deployed_at}].value"]
            ),
        )

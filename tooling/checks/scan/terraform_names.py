"""The Terraform AWS provider's attribute names of pulumi-aws properties, where they are not the SDK's.

pulumi-aws names each property after the Terraform attribute it bridges: the SDK's snake_case name
(`pulumi._types` name tables, read at run time) is the Terraform name, except in two ways:
- a list of blocks that Terraform allows more than one of gets a plural Pulumi name (`rule` becomes
  `rules`), unless Terraform's name is plural already (`api_stages`) or the word has no plural form the
  bridge would make (`ingress` stays `ingress`). No rule can tell these apart, so every list of blocks
  in the plans is listed in BLOCK_LISTS with its Terraform name, and the converter refuses one that
  is not (ConversionError), instead of guessing;
- the bridge renamed some attributes by hand (Terraform's `function_name` is a Lambda function's
  `name`, `rest_api_id` an API Gateway resource's `restApi`, `topic_arn` a subscription's `topic`,
  and a few pluralised lists of strings): RENAMED.

The SDK carries no Terraform name itself (its names are Pulumi's; the provider plugin's bridge
metadata, which has them, is not installed), so these departures are written here, once, by Pulumi
type token and property. checkov is the check on this table: a check that finds no attribute the
resource has under another name is reported by `make scan` and fails the scanner's tests.
"""

from collections.abc import Mapping

API_GATEWAY_REST_API = {"restApi": "rest_api_id"}

# Pulumi type token -> {Pulumi property -> Terraform attribute} for every list of blocks in the plans.
BLOCK_LISTS: Mapping[str, Mapping[str, str]] = {
    "aws:acm/certificate:Certificate": {"domainValidationOptions": "domain_validation_options"},
    "aws:apigateway/usagePlan:UsagePlan": {"apiStages": "api_stages"},
    "aws:autoscaling/group:Group": {"tags": "tag"},
    "aws:cloudtrail/trail:Trail": {"advancedEventSelectors": "advanced_event_selector"},
    "aws:cloudtrail/TrailAdvancedEventSelector:TrailAdvancedEventSelector": {"fieldSelectors": "field_selector"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"metricQueries": "metric_query"},
    "aws:dynamodb/table:Table": {"attributes": "attribute"},
    "aws:ec2/launchTemplate:LaunchTemplate": {
        "blockDeviceMappings": "block_device_mappings",
        "tagSpecifications": "tag_specifications",
    },
    "aws:ec2/networkAcl:NetworkAcl": {"ingress": "ingress", "egress": "egress"},
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"dnsEntries": "dns_entry"},
    "aws:lb/listener:Listener": {"defaultActions": "default_action"},
    "aws:lb/ListenerDefaultActionForward:ListenerDefaultActionForward": {"targetGroups": "target_group"},
    "aws:lb/listenerRule:ListenerRule": {"actions": "action", "conditions": "condition"},
    "aws:rds/instance:Instance": {"masterUserSecrets": "master_user_secret"},
    "aws:rds/cluster:Cluster": {"masterUserSecrets": "master_user_secret"},
    "aws:rds/parameterGroup:ParameterGroup": {"parameters": "parameter"},
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": {"parameters": "parameter"},
    "aws:rds/proxy:Proxy": {"auths": "auth"},
    "aws:route53/record:Record": {"aliases": "alias"},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"rules": "rule"},
    "aws:s3/BucketLifecycleConfigurationRule:BucketLifecycleConfigurationRule": {"transitions": "transition"},
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": {"rules": "rule"},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {"rules": "rule"},
    "aws:wafv2/webAcl:WebAcl": {"rules": "rule"},
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {"redactedFields": "redacted_fields"},
}

# Pulumi type token -> {Pulumi property -> Terraform attribute} for the bridge's renames by hand.
RENAMED: Mapping[str, Mapping[str, str]] = {
    "aws:lambda/function:Function": {"name": "function_name", "code": "filename"},
    "aws:lambda/permission:Permission": {"function": "function_name"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic": "topic_arn"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name": "alarm_name"},
    "aws:autoscaling/group:Group": {"vpcZoneIdentifiers": "vpc_zone_identifier"},
    "aws:cloudtrail/TrailAdvancedEventSelectorFieldSelector:TrailAdvancedEventSelectorFieldSelector": {
        "startsWiths": "starts_with",
        "endsWiths": "ends_with",
        "notStartsWiths": "not_starts_with",
        "notEndsWiths": "not_ends_with",
    },
    "aws:apigateway/stage:Stage": {**API_GATEWAY_REST_API, "deployment": "deployment_id"},
    **{
        f"aws:apigateway/{module}:{name}": API_GATEWAY_REST_API
        for module, name in (
            ("deployment", "Deployment"),
            ("integration", "Integration"),
            ("method", "Method"),
            ("methodSettings", "MethodSettings"),
            ("model", "Model"),
            ("requestValidator", "RequestValidator"),
            ("resource", "Resource"),
        )
    },
}


class UnlistedBlockList(ValueError):
    """A list of blocks BLOCK_LISTS does not name: its Terraform name would be a guess."""


def terraform_name(token: str, pulumi_name: str, python_name: str, *, block_list: bool) -> str:
    """Terraform's attribute name of `pulumi_name` (SDK name `python_name`) of the type `token`."""
    if block_list:
        listed = BLOCK_LISTS.get(token, {}).get(pulumi_name)
        if listed is None:
            raise UnlistedBlockList(
                f"{token}.{pulumi_name}: a list of blocks not in tooling/checks/scan/terraform_names.py "
                "BLOCK_LISTS; add its Terraform attribute name there"
            )
        return listed
    return RENAMED.get(token, {}).get(pulumi_name, python_name.rstrip("_"))


def nested_token(cls: type) -> str:
    """The Pulumi type token of an SDK output class: `pulumi_aws.lambda_.outputs.FunctionVpcConfig` is
    `aws:lambda/FunctionVpcConfig:FunctionVpcConfig`."""
    module = cls.__module__.removeprefix("pulumi_aws.").removesuffix(".outputs").replace(".", "/").rstrip("_")
    return f"aws:{module}/{cls.__name__}:{cls.__name__}"

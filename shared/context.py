"""What every component of a layer needs to name, tag and place its resources."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.config import PlatformConfig
from shared.naming import Namer
from shared.providers import deploy_boundary_arn
from shared.tagging import standard_tags, tagged


@dataclass(frozen=True)
class LayerContext:
    platform: PlatformConfig
    layer: str
    account_id: str
    provider: aws.Provider

    @property
    def namer(self) -> Namer:
        return Namer(self.platform.environment, self.platform.environment_suffix)

    @property
    def region(self) -> str:
        return self.platform.region

    @property
    def permissions_boundary(self) -> str | None:
        """ARN every IAM role of the layer carries when deploys go through the deploy role (accounts/)."""
        return deploy_boundary_arn(self.platform)

    def name(self, resource_type: str, service: str = "generic") -> str:
        return self.namer.name(resource_type, service)

    def tags(self, name: str | None = None) -> dict[str, str]:
        return standard_tags(self.platform, self.layer, name)

    def component_opts(self, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        """Top-level components get the layer's explicit provider; their children inherit it."""
        return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(providers=[self.provider]), opts)

    @staticmethod
    def child(parent: pulumi.Resource, **options: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, **options)  # type: ignore[arg-type]

    @staticmethod
    def tagged_child(parent: pulumi.Resource, **options: object) -> pulumi.ResourceOptions:
        return tagged(pulumi.ResourceOptions(parent=parent, **options))  # type: ignore[arg-type]

"""The first lines of every layer's `__main__.py`: validated config, provider, context."""

from typing import TypeVar

import pulumi
import pulumi_aws as aws

from shared.config import StackConfig, StrictModel, load_stack_config
from shared.context import LayerContext
from shared.providers import aws_provider

SettingsT = TypeVar("SettingsT", bound=StrictModel)


def start_layer(project: str, settings_model: type[SettingsT]) -> tuple[StackConfig[SettingsT], LayerContext]:
    """Validate config (nothing is declared if it is wrong), then create the stack's provider."""
    config = load_stack_config(project, settings_model)
    provider = aws_provider(config.platform, layer=project)
    identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
    return config, LayerContext(config.platform, project, identity.account_id, provider)

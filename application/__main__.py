"""Application layer: reads the networking and data contracts; its resources arrive with later issues."""

import pulumi

from application.settings import ApplicationSettings
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration ---
config, ctx = start_layer("application", ApplicationSettings)
networking = UpstreamStack("networking", "application", config.platform)
data = UpstreamStack("data", "application", config.platform)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", config.platform.environment)
pulumi.export("region", config.platform.region)

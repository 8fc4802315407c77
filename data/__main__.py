"""Data layer: reads the networking contract; its data stores arrive with the data-layer issue."""

import pulumi

from data.settings import DataSettings
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration ---
config, ctx = start_layer("data", DataSettings)
networking = UpstreamStack("networking", "data", config.platform)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", config.platform.environment)
pulumi.export("region", config.platform.region)

"""Observability layer: reads and checks the application contract; it exports its identity only."""

import pulumi

from observability.settings import ObservabilitySettings
from shared.bootstrap import start_layer
from shared.stack_refs import UpstreamStack

# --- configuration ---
config, ctx = start_layer("observability", ObservabilitySettings)
application = UpstreamStack("application", "observability", config.platform)

# --- exports: the contract in shared/contracts.py ---
pulumi.export("environment", config.platform.environment)
pulumi.export("region", config.platform.region)

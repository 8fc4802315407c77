"""The real Pulumi CLI over deployed stacks: preflight checks (`preflight`) and the layer-by-layer driver
(`driver`) behind `make preview|deploy|destroy|outputs`."""

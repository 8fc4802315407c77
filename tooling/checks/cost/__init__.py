"""`make cost`: the fixed monthly cost of each environment from its offline plan (`estimate`, prices.yaml)."""

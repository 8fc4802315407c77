"""Rules every layer shares: typed config, naming, tagging, providers, stack references, contracts."""

"""`observability:` keys of the stack files, validated."""

from shared.config import StrictModel


class ObservabilitySettings(StrictModel):
    pass

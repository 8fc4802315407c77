"""`data:` keys of the stack files, validated."""

from shared.config import StrictModel


class DataSettings(StrictModel):
    pass

"""`application:` keys of the stack files, validated."""

from shared.config import StrictModel


class ApplicationSettings(StrictModel):
    pass

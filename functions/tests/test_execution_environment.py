"""The one reset of what the handlers keep between invocations (tests call it as a new execution environment)."""

from __future__ import annotations

from payments import execution_environment


class _Connection:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_what_is_kept_is_built_once_then_closed_and_built_again_after_clear_caches() -> None:
    @execution_environment.cached
    def connection() -> _Connection:
        return _Connection()

    @execution_environment.cached
    def client(service: str) -> list[str]:
        return [service]

    first, sqs = connection(), client("sqs")
    assert connection() is first and client("sqs") is sqs, "reused by later invocations"

    execution_environment.clear_caches()

    assert first.closed, "a kept connection is closed, not leaked"
    assert connection() is not first and client("sqs") is not sqs

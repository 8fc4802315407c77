"""Secret values never reach a terminal or a report file.

`pulumi stack export --show-secrets` (what the Automation API's `export_stack` runs) gives every
secret in plaintext, wrapped as `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"plaintext": "..."}`; preview events show `[secret]`. A `Redactor` replaces:

- every value wrapped with Pulumi's secret signature;
- every property a resource lists in `additionalSecretOutputs`;
- every occurrence of a value that a stack's config marks secret (`pulumi config --show-secrets`),
  wherever it appears, in case the program passed it on without marking it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from tooling.plan.mock_runtime import SECRET_PLACEHOLDER

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 (Pulumi's secret signature, not a secret)
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105
# Shorter secrets are masked only where they are the whole value ("true" must not mask every "true").
MIN_EMBEDDED_SECRET = 6


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


class Redactor:
    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secret_values if s}, key=len, reverse=True)

    def add(self, secret_values: Iterable[str]) -> None:
        self._secrets = sorted(set(self._secrets) | {s for s in secret_values if s}, key=len, reverse=True)

    def text(self, value: str) -> str:
        if value in self._secrets:
            return SECRET_PLACEHOLDER
        for secret in self._secrets:
            if len(secret) >= MIN_EMBEDDED_SECRET and secret in value:
                value = value.replace(secret, SECRET_PLACEHOLDER)
        return value

    def value(self, value: Any) -> Any:
        if is_secret(value):
            return SECRET_PLACEHOLDER
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def resource(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """One resource of a stack export, its secret properties masked in inputs and outputs."""
        secret_names = set(resource.get("additionalSecretOutputs") or ())
        redacted = dict(resource)
        for side in ("inputs", "outputs"):
            properties = resource.get(side) or {}
            redacted[side] = {
                k: SECRET_PLACEHOLDER if k in secret_names else self.value(v) for k, v in properties.items()
            }
        return redacted

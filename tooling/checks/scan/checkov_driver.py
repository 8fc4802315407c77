"""checkov on one Terraform-plan file, and the checks it could not decide: run by checkov's own
interpreter (`.venv-checkov/bin/python checkov_driver.py <plan>`), so it imports checkov and the
standard library only, never the project.

It runs exactly `checkov -f <plan> --framework terraform_plan -o json --skip-download --compact`.
checkov leaves a check out of its report when the check answers UNKNOWN, which a check does when
the attribute it reads is absent (a NACL check finding no `ingress`, for one): a resource checkov
could not judge would then look like one with nothing wrong. So every check's answer is watched
(resource checks and graph checks), and each UNKNOWN is reported with the attributes the check
looked for and did not find.

Prints one JSON document: `{"report": <checkov's JSON report>, "unknown": [{"check_id",
"resource", "missing"}]}`; exits with checkov's exit code.
"""

import contextlib
import io
import json
import sys
from typing import Any

from checkov.common.checks.base_check import BaseCheck
from checkov.common.graph.checks_infra.base_check import BaseGraphCheck
from checkov.common.models.enums import CheckResult
from checkov.main import Checkov


class WatchedConfiguration(dict[str, Any]):
    """A resource's configuration that remembers which attributes a check asked for and did not find."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.missing: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self.missing.add(str(key))
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        if not found:
            self.missing.add(str(key))
        return found


UNKNOWN: list[dict[str, Any]] = []
_run = BaseCheck.run


def _watched_run(self: Any, **arguments: Any) -> Any:
    """BaseCheck.run, called by checkov's registries with keyword arguments only."""
    configuration = arguments["entity_configuration"]
    if isinstance(configuration, dict):
        configuration = arguments["entity_configuration"] = WatchedConfiguration(configuration)
    result = _run(self, **arguments)
    if result.get("result") == CheckResult.UNKNOWN:
        missing = sorted(getattr(configuration, "missing", set()) - {"__startline__", "__endline__"})
        resource = f"{arguments['entity_type']}.{arguments['entity_name']}"
        UNKNOWN.append({"check_id": self.id, "resource": resource, "missing": missing})
    return result


_graph_run = BaseGraphCheck.run


def _watched_graph_run(self: Any, graph_connector: Any) -> Any:
    """A graph check answers (passed, failed, unknown) resources; checkov reports the first two only."""
    passed, failed, unknown = _graph_run(self, graph_connector)
    for vertex in unknown:
        keys = {str(k).split(".")[0].split("[")[0] for k in self.get_evaluated_keys()}
        missing = sorted(key for key in keys if key and key not in vertex)
        resource = str(vertex.get("__address__") or vertex.get("block_name_") or vertex.get("id"))
        UNKNOWN.append({"check_id": self.id, "resource": resource, "missing": missing})
    return passed, failed, unknown


def main(plan: str) -> int:
    BaseGraphCheck.run = _watched_graph_run
    BaseCheck.run = _watched_run
    output = io.StringIO()
    argv = ["-f", plan, "--framework", "terraform_plan", "-o", "json", "--skip-download", "--compact"]
    with contextlib.redirect_stdout(output):
        code = Checkov(argv=argv).run() or 0
    print(json.dumps({"report": json.loads(output.getvalue() or "null"), "unknown": UNKNOWN}))
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

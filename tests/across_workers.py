"""Results computed once per test run and shared by every pytest-xdist worker.

The expensive session results (the offline plan of each environment) would otherwise be computed
again by every worker. The controller makes one directory per run and names it in
PAYMENTS_TESTS_SHARED_DIR (tests/conftest.py); the first worker to need a result computes it while it
holds that result's lock and writes it as JSON, the others wait on the lock and read it. Without
xdist, or outside pytest, a result is simply computed.
"""

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED_DIR_VARIABLE = "PAYMENTS_TESTS_SHARED_DIR"


def computed_once(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`'s JSON value, computed by one worker of the run and read by the others."""
    directory = os.environ.get(SHARED_DIR_VARIABLE)
    if not directory:
        return compute()
    result = Path(directory) / f"{name}.json"
    with result.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result.is_file():
            return json.loads(result.read_text())
        value = compute()
        partial = result.with_suffix(".partial")
        partial.write_text(json.dumps(value))
        partial.replace(result)
        return value

"""One-shot migration command: `python -m payments.migrate` (same environment variables as the worker).

The settlement worker applies pending migrations on its first database connection anyway; run this
from a deploy pipeline or a bastion to migrate before traffic arrives.
"""

from __future__ import annotations

import os
import sys

from payments.database import Database
from payments.settings import SettlementWorkerSettings


def main() -> int:
    database = Database(SettlementWorkerSettings.from_environ(os.environ), migrate=True)
    try:
        database.in_transaction(lambda connection: connection.run("SELECT 1"))
    finally:
        database.close()
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The migration step from a shell: `python -m payments.migrate` (the migration handler's environment).

Same work as `payments.handlers.migrate_ledger.handler`, which the deploy invokes; use this from a
bastion or a pipeline that reaches the database.
"""

from __future__ import annotations

import os
import sys

from payments.handlers.migrate_ledger import migrate
from payments.settings import MigrateLedgerSettings


def main() -> int:
    result = migrate(MigrateLedgerSettings.from_environ(os.environ))
    print(
        f"database schema is up to date (applied: {result['migrations_applied'] or 'none'}); "
        f"writer role {result['writer_role']} provisioned"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

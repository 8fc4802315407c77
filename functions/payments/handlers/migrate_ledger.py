"""The deploy-time migration step: ledger schema and the writer role, run as the owner.

Invoked once per deploy by the application layer (before the settlement worker gets traffic),
never by the worker: the worker connects as the writer and cannot migrate. Under one advisory lock
and in one transaction it applies the pending `payments/migrations/*.sql` and creates or updates
the writer role (DB_WRITER_USER: LOGIN, a member of `rds_iam`, no password) with exactly its
grants (`payments.ledger_roles`). Safe to run again; concurrent runs serialize. Fails (raises) on any
error so the deploy stops.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.database import Database
from payments.ledger_roles import provision_writer
from payments.observability import logger
from payments.schema_migrations import apply_migrations
from payments.secret_credentials import SecretCredentials
from payments.settings import MigrateLedgerSettings


def migrate(settings: MigrateLedgerSettings) -> dict[str, Any]:
    """Apply the migrations and provision the writer; return what was done (no secrets)."""
    owner = Database(
        settings,
        sign_in=SecretCredentials(
            settings.db_owner_secret_arn, "DB_OWNER_SECRET_ARN", max_age=settings.db_secret_max_age_seconds
        ),
    )
    try:
        applied = owner.on_connection(
            lambda connection: apply_migrations(
                connection, then=lambda locked: provision_writer(locked, settings.db_writer_user)
            )
        )
    finally:
        owner.close()
    return {"migrations_applied": applied, "writer_role": settings.db_writer_user}


@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = migrate(MigrateLedgerSettings.from_environ(os.environ))
    logger.info("ledger schema and writer role are up to date", extra=result)
    return result

"""GET /verify-payment?transaction_id=...: the caller's transaction's status, amount, currency and timestamps.

Another merchant's transaction is answered exactly like an unknown id (404): ids are derivable, so
whether an id exists is not shown to anyone but its merchant.
"""

from __future__ import annotations

import os
import re
from http import HTTPStatus
from typing import Any
from uuid import UUID

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from msgspec import Struct

from payments import aws_clients, execution_environment
from payments.api_gateway import error_response, json_response
from payments.api_schema import VERIFY_QUERY_PARAMETER
from payments.errors import ApiError, ErrorCode
from payments.merchants import MerchantDirectory, merchant_directory, merchant_of
from payments.observability import logger
from payments.settings import VerifyPaymentSettings
from payments.transactions import TransactionStore

_CANONICAL_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class _Runtime(Struct, frozen=True):
    settings: VerifyPaymentSettings
    merchants: MerchantDirectory
    store: TransactionStore


@execution_environment.cached
def _runtime() -> _Runtime:
    """Built on the first invocation of an execution environment and reused after."""
    settings = VerifyPaymentSettings.from_environ(os.environ)
    return _Runtime(
        settings,
        merchant_directory(settings.merchants_table_name, settings.merchants_max_age_seconds),
        TransactionStore(settings.transactions_table_name, aws_clients.client("dynamodb")),
    )


def _transaction_id(event: dict[str, Any]) -> UUID:
    value = (event.get("queryStringParameters") or {}).get(VERIFY_QUERY_PARAMETER)
    if not isinstance(value, str) or not _CANONICAL_UUID.fullmatch(value):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            ErrorCode.INVALID_TRANSACTION_ID,
            f"Pass the transaction_id returned by POST /process-payment as ?{VERIFY_QUERY_PARAMETER}=<uuid>.",
        )
    return UUID(value)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    runtime = _runtime()  # a configuration error fails the invocation loudly
    try:
        merchant_id = merchant_of(event, runtime.merchants)
        logger.append_keys(merchant_id=merchant_id)
        transaction_id = _transaction_id(event)
        transaction = runtime.store.get(transaction_id)
        if transaction is None or transaction.merchant_id != merchant_id:
            raise ApiError(
                HTTPStatus.NOT_FOUND,
                ErrorCode.TRANSACTION_NOT_FOUND,
                "No transaction has this id; check it against the 202 answer of POST /process-payment.",
            )
    except ApiError as error:
        logger.info("verify refused", extra={"status": int(error.status), "error_code": error.code.value})
        return error_response(error)
    except Exception:
        logger.exception("unexpected error")
        return error_response(
            ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR, "Unexpected error; retry shortly.")
        )
    return json_response(HTTPStatus.OK, transaction.view())

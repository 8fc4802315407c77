"""POST /process-payment: validate, record PENDING, enqueue, answer 202 - once per merchant and Idempotency-Key."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from uuid import UUID

import msgspec
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import aws_clients, execution_environment, metric_names
from payments.api_gateway import error_response, json_response
from payments.errors import ApiError, ErrorCode
from payments.intake import Payment, PaymentSubmission, parse_payment
from payments.key_hashing import KeyHasher, load_key_hasher
from payments.merchants import MerchantDirectory, merchant_directory, merchant_of
from payments.models import PaymentAccepted
from payments.observability import logger, metrics
from payments.queue import EnqueueError, enqueue_settlement
from payments.settings import ProcessPaymentSettings
from payments.storage_schema import IDEMPOTENCY, TransactionStatus
from payments.transactions import PaymentMismatchError, TransactionStore, utc_now

IDEMPOTENCY_KEY_PREFIX = "process-payment"


# A dataclass: the Powertools idempotency utility reads the fields its JMESPath expressions select
# (`idempotency_digest`, `payment`) from dataclasses and pydantic models.
@dataclass(frozen=True)
class PaymentCommand:
    """What the idempotency layer sees: a keyed hash of (merchant, Idempotency-Key), never the raw key.

    `idempotency_digest` is the idempotency record's key and `payment` its payload (a replay with
    another payment is refused); `transaction_id` is derived from the same merchant and key.
    """

    idempotency_digest: str
    transaction_id: UUID
    payment: Payment


class AcceptedSerializer(BaseIdempotencySerializer):
    """The 202 answer as the idempotency record keeps it, JSON values (`{"transaction_id": "<uuid>", "status":
    "PENDING"}`), and back for a replay."""

    def to_dict(self, data: PaymentAccepted) -> dict[str, Any]:
        return msgspec.to_builtins(data)

    def from_dict(self, data: dict[str, Any]) -> PaymentAccepted:
        return msgspec.convert(data, PaymentAccepted)


class _Runtime(msgspec.Struct, frozen=True):
    settings: ProcessPaymentSettings
    merchants: MerchantDirectory
    key_hasher: KeyHasher
    idempotency: IdempotencyConfig
    accept: Callable[..., PaymentAccepted]

    def command(self, submission: PaymentSubmission) -> PaymentCommand:
        """Transaction ids come from (merchant, Idempotency-Key), so a request re-run after its idempotency
        record was lost (the save after success failed, or the function timed out after enqueueing) finds
        the transaction it already made instead of making a second one."""
        merchant_id, key = submission.payment.merchant_id, submission.idempotency_key
        return PaymentCommand(
            idempotency_digest=self.key_hasher.idempotency_digest(merchant_id, key),
            transaction_id=self.key_hasher.transaction_id(merchant_id, key),
            payment=submission.payment,
        )


@execution_environment.cached
def _runtime() -> _Runtime:
    """Built on the first invocation of an execution environment and reused after."""
    settings = ProcessPaymentSettings.from_environ(os.environ)
    key_hasher = load_key_hasher(settings.key_hash_parameter_name, aws_clients.client("ssm"))
    dynamodb = aws_clients.client("dynamodb")
    store = TransactionStore(settings.transactions_table_name, dynamodb)
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table_name,
        key_attr=IDEMPOTENCY.key,
        expiry_attr=IDEMPOTENCY.expiry,
        in_progress_expiry_attr=IDEMPOTENCY.in_progress_expiry,
        status_attr=IDEMPOTENCY.status,
        data_attr=IDEMPOTENCY.data,
        validation_key_attr=IDEMPOTENCY.validation,
        boto3_client=dynamodb,
    )
    config = IdempotencyConfig(
        event_key_jmespath="idempotency_digest",
        payload_validation_jmespath="payment",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
        hash_function="sha256",
        response_hook=_count_replay,
    )

    def accept(command: PaymentCommand) -> PaymentAccepted:
        return _record_and_enqueue(store, settings, command)

    idempotent_accept = idempotent_function(
        accept,
        data_keyword_argument="command",
        persistence_store=persistence,
        config=config,
        output_serializer=AcceptedSerializer(),
        key_prefix=IDEMPOTENCY_KEY_PREFIX,
    )
    return _Runtime(
        settings=settings,
        merchants=merchant_directory(settings.merchants_table_name, settings.merchants_max_age_seconds),
        key_hasher=key_hasher,
        idempotency=config,
        accept=idempotent_accept,
    )


def _count_replay(response: Any, idempotent_data: DataRecord) -> Any:
    metrics.add_metric(name=metric_names.PAYMENT_REPLAYED, unit=MetricUnit.Count, value=1)
    return response


def _record_and_enqueue(
    store: TransactionStore, settings: ProcessPaymentSettings, command: PaymentCommand
) -> PaymentAccepted:
    """Runs once per merchant and Idempotency-Key; an exception here releases the key so the client can retry."""
    transaction_id = command.transaction_id
    logger.append_keys(transaction_id=str(transaction_id))
    transaction = store.record_pending(transaction_id, command.payment, utc_now())
    if transaction.status == TransactionStatus.SETTLED:
        logger.info("payment already settled by an earlier attempt with this key")
        return PaymentAccepted(transaction_id=transaction_id)
    try:
        enqueue_settlement(aws_clients.client("sqs"), settings.payment_queue_url, transaction.accepted())
    except EnqueueError:
        logger.exception("enqueue failed; marking the transaction FAILED")
        if store.mark_enqueue_failed(transaction_id, utc_now()):
            metrics.add_metric(name=metric_names.ENQUEUE_FAILED, unit=MetricUnit.Count, value=1)
            raise
        logger.warning("the settlement worker already claimed the transaction: it was enqueued after all")
    metrics.add_metric(name=metric_names.PAYMENT_ACCEPTED, unit=MetricUnit.Count, value=1)
    logger.info("payment accepted", extra={"amount_minor": command.payment.amount_minor})
    return PaymentAccepted(transaction_id=transaction_id)


def _accept(runtime: _Runtime, command: PaymentCommand) -> PaymentAccepted:
    try:
        return runtime.accept(command=command)
    except IdempotencyAlreadyInProgressError:
        raise ApiError(
            HTTPStatus.CONFLICT,
            ErrorCode.REQUEST_IN_PROGRESS,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        ) from None
    except (IdempotencyValidationError, PaymentMismatchError):
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was used with a different body; use a new key for a new payment.",
        ) from None
    except EnqueueError:
        raise ApiError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            ErrorCode.ENQUEUE_FAILED,
            "The payment was not accepted (nothing will be charged); retry with the same Idempotency-Key.",
        ) from None
    except IdempotencyPersistenceLayerError:
        logger.exception("idempotency store unavailable")
        raise ApiError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            ErrorCode.SERVICE_UNAVAILABLE,
            "The payment service is temporarily unavailable; retry with the same Idempotency-Key.",
        ) from None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    runtime = _runtime()
    runtime.idempotency.register_lambda_context(context)
    try:
        merchant_id = merchant_of(event, runtime.merchants)
        logger.append_keys(merchant_id=merchant_id)
        submission = parse_payment(event, runtime.settings, merchant_id)
        accepted = _accept(runtime, runtime.command(submission))
    except ApiError as error:
        rejected = error.status < HTTPStatus.INTERNAL_SERVER_ERROR
        outcome = metric_names.PAYMENT_REJECTED if rejected else metric_names.PAYMENT_ERRORED
        metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
        logger.info("payment refused", extra={"status": int(error.status), "error_code": error.code.value})
        return error_response(error)
    except Exception:
        logger.exception("unexpected error")
        metrics.add_metric(name=metric_names.PAYMENT_ERRORED, unit=MetricUnit.Count, value=1)
        return error_response(
            ApiError(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                ErrorCode.INTERNAL_ERROR,
                "Unexpected error; retry with the same Idempotency-Key.",
            )
        )
    return json_response(HTTPStatus.ACCEPTED, accepted)

"""The payment functions: one row each, the only place that lists them.

A row says what the function is (its name, handler and description), how it is invoked (behind a
front door, from the payment queue, or once per artifact at deploy time), its default timeout, what
its role may do, and whether the observability layer alarms on it. From these rows the application
layer declares each function, its role, its reserved concurrency, its `application:timeouts` key and
its exports (`<key>FunctionName`, `<key>FunctionArn`); the contracts list those exports and what
the observability layer reads; the observability layer declares each watched function's alarms;
the tests take the list from here too. A new function is a new row (and its handler in
`payments.handlers`, declared in `payments.settings`).

Grants name resources, not ARNs: the application layer supplies one ARN per name
(`application/permissions.py`), and refuses a grant whose resource nobody supplies or a supplied
resource no grant uses, as it does for environment variables.
"""

from dataclasses import dataclass
from typing import Literal

from pydantic.alias_generators import to_camel

# API Gateway gives up on an integration after 29 s: an API function that runs longer is cut off anyway.
API_TIMEOUT_LIMIT_SECONDS = 29
# Lambda's own limit.
LAMBDA_TIMEOUT_LIMIT_SECONDS = 900

# The front doors, api-gateway (the API Gateway route named like the function) and alb (the ALB's
# /api/*): at most 29 s, each function reserving application:apiReservedConcurrency. queue: the
# payment queue's consumer, reserving application:workerReservedConcurrency. deploy: invoked once
# per artifact by `pulumi up`, never concurrently with itself.
InvokedBy = Literal["api-gateway", "alb", "queue", "deploy"]
API_FACING: tuple[InvokedBy, ...] = ("api-gateway", "alb")


@dataclass(frozen=True)
class Grant:
    """One statement of a function's role: `actions` on the resources named `resources`."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the physical name's resource type, the role's, the alarms' prefix: process-payment
    handler: str  # a handler declared in payments.settings.HANDLER_ENVIRONMENT
    description: str  # the Lambda function's description
    invoked_by: InvokedBy
    timeout_seconds: int  # the default of application:timeouts.<key>, one value in every environment
    grants: tuple[Grant, ...]  # besides what every function gets (logs, DLQ, data key, ENIs, X-Ray)
    alarms: bool  # errors, throttles and p99 duration alarms in the observability layer

    @property
    def key(self) -> str:
        """How the contracts and `application:timeouts` name it: processPayment."""
        return to_camel(self.name.replace("-", "_"))

    @property
    def api_facing(self) -> bool:
        return self.invoked_by in API_FACING

    @property
    def timeout_limit_seconds(self) -> int:
        return API_TIMEOUT_LIMIT_SECONDS if self.api_facing else LAMBDA_TIMEOUT_LIMIT_SECONDS


# Who is calling: the API functions read the merchants table one item at a time.
_READ_MERCHANTS = Grant("ReadMerchants", ("dynamodb:GetItem",), ("merchantsTable",))
_PROCESS_PAYMENT_GRANTS = (
    _READ_MERCHANTS,
    Grant("ReadKeyHashParameter", ("ssm:GetParameter",), ("keyHashParameter",)),
    Grant("RecordTransactions", ("dynamodb:PutItem", "dynamodb:UpdateItem"), ("transactionsTable",)),
    # No GetItem: a conditional put that fails returns the existing record
    # (ReturnValuesOnConditionCheckFailure), so Powertools never reads it separately.
    Grant(
        "IdempotencyRecords", ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), ("idempotencyTable",)
    ),
    Grant("EnqueuePayments", ("sqs:SendMessage",), ("paymentQueue",)),
)
_VERIFY_PAYMENT_GRANTS = (_READ_MERCHANTS, Grant("ReadTransactions", ("dynamodb:GetItem",), ("transactionsTable",)))

# In the order of the contract's exports.
FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="process-payment",
        handler="payments.handlers.process_payment.handler",
        description="POST /process-payment: validates, records PENDING, enqueues for settlement",
        invoked_by="api-gateway",
        timeout_seconds=10,
        grants=_PROCESS_PAYMENT_GRANTS,
        alarms=True,
    ),
    FunctionSpec(
        name="verify-payment",
        handler="payments.handlers.verify_payment.handler",
        description="GET /verify-payment: status of one transaction",
        invoked_by="api-gateway",
        timeout_seconds=10,
        grants=_VERIFY_PAYMENT_GRANTS,
        alarms=True,
    ),
    FunctionSpec(
        name="settlement-worker",
        handler="payments.handlers.settlement_worker.handler",
        description="Settles queued payments: ledger, SETTLED status, audit record, notification",
        invoked_by="queue",
        timeout_seconds=30,
        grants=(
            # What the event source mapping calls with the role; a failed message becomes visible
            # again when its visibility timeout ends (no ChangeMessageVisibility).
            Grant(
                "ConsumePayments",
                ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                ("paymentQueue",),
            ),
            # Claims and SETTLED are conditional updates returning the item: no GetItem.
            Grant("SettleTransactions", ("dynamodb:UpdateItem",), ("transactionsTable",)),
            Grant("WriteAuditRecords", ("s3:PutObject",), ("auditRecords",)),
            Grant("PublishSettlements", ("sns:Publish",), ("notificationTopic",)),
            # IAM database authentication through RDS Proxy: the ledger writer has no password.
            Grant("ConnectAsLedgerWriter", ("rds-db:connect",), ("ledgerWriterAtProxy",)),
        ),
        alarms=True,
    ),
    FunctionSpec(
        name="migrate-ledger",
        handler="payments.handlers.migrate_ledger.handler",
        description="Applies the ledger's pending schema migrations; invoked once per artifact at deploy time",
        invoked_by="deploy",
        timeout_seconds=300,
        # The owner's secret, to migrate as the owner and provision the writer role (which has no password).
        grants=(Grant("ReadLedgerOwnerSecret", ("secretsmanager:GetSecretValue",), ("ledgerOwnerSecret",)),),
        alarms=False,  # a failed run fails the deployment that invoked it
    ),
    FunctionSpec(
        name="alb-api",
        handler="payments.handlers.alb_api.handler",
        description="The payments API behind the ALB (/api/*): the same handlers; x-api-key checked here",
        invoked_by="alb",
        timeout_seconds=10,
        # The ALB door runs process-payment and verify-payment, and checks `x-api-key` against the
        # merchants table with the key-hash parameter, which process-payment reads already: the same
        # grants, once each.
        grants=tuple(dict.fromkeys((*_PROCESS_PAYMENT_GRANTS, *_VERIFY_PAYMENT_GRANTS))),
        alarms=True,
    ),
)


def functions_invoked_by(*doors: InvokedBy) -> tuple[FunctionSpec, ...]:
    """The functions invoked through any of `doors`, in table order."""
    return tuple(function for function in FUNCTIONS if function.invoked_by in doors)

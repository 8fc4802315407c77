"""An environment's plan brought to life: its data stores, queues and topic on moto, the ledger on a
real PostgreSQL, and the real handlers run with exactly the environment variables the plan gives
each function, behind stand-ins of API Gateway (the plan's models and gateway responses) and of the
SQS event source mapping (the plan's batch size).

What cannot exist offline is substituted, and only that (`PlanWorld.substituted` lists it):
- the owner secret's ARN: AWS appends a random suffix to a secret's name, so the plan's ARN is a
  placeholder; the secret is created under the plan's name and the migration step gets its moto
  ARN instead;
- `DB_PROXY_ENDPOINT` and `DB_PORT`: the RDS Proxy's host name becomes the local PostgreSQL
  (127.0.0.1, a free port), which serves the plan's `DB_NAME` over TLS (verify-full), and stands
  in for the proxy's check of the worker's IAM token (testkit.pg_server);
- `DB_CA_BUNDLE_PATH` (not set by the plan: the handlers default to the Lambda trust store, which
  signs RDS Proxy's certificate): the test CA that signed the local server's certificate;
- the secrets' values (the plan never holds them): credentials of the local server's roles, a
  random key-hash key in the plan's SecureString parameter, and the merchants table's digest
  shards (the plan masks them, digests of key values it never holds): the world writes them for
  a test key value of the first merchant's API key (`ALB_MERCHANT_KEY`); the table's other items
  are the plan's own.
Lambda's own process environment (region, credentials) is the plan's region with fake
credentials, and every AWS call goes to moto.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import jsonschema

from application.api_definition import PAYMENTS_API
from payments import execution_environment
from payments.key_hashing import KeyHasher
from payments.observability import logger, metrics
from payments.settings import ENVIRONMENT_VARIABLES
from payments.storage_schema import DIGEST_SHARDS, digest_shard_items
from shared.functions import FUNCTIONS
from testkit.lambda_support import FakeLambdaContext, alb_event, api_event, sqs_event
from testkit.pg_server import APP_USER, PostgresServer
from tests.support import layer_of


def _entry_point(handler: str) -> Callable[[dict[str, Any], Any], Any]:
    """`payments.handlers.process_payment.handler` -> that function."""
    module, name = handler.rsplit(".", 1)
    entry_point: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module), name)
    return entry_point


HANDLERS = {function.name: _entry_point(function.handler) for function in FUNCTIONS}
# API Gateway's routes: each goes to the function named like its path.
ROUTES = {(route.method, f"/{route.path}"): route.path for route in PAYMENTS_API.routes}
# The first merchant's API key value (a test value; AWS generates the real one), which the world's digest
# shards name, and the key of the keyed hashes (the plan's parameter holds a secret the plan never shows).
ALB_MERCHANT_KEY = "plan-world-merchant-api-key-value"
KEY_HASH_KEY = secrets.token_urlsafe(48)
TABLE_ITEM = "aws:dynamodb/tableItem:TableItem"
MASKED = "[secret]"


def all_resources(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [r for layer in plan["layers"] for r in layer["resources"]]


def of_type(plan: Mapping[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in all_resources(plan) if r["type"] == resource_type]


def logical_name(resource: Mapping[str, Any]) -> str:
    return str(resource["urn"].split("::")[-1])


def planned_function(plan: Mapping[str, Any], function: str) -> dict[str, Any]:
    (found,) = [f for f in of_type(plan, "aws:lambda/function:Function") if logical_name(f) == f"{function}-function"]
    return found


def planned_variables(plan: Mapping[str, Any], function: str) -> dict[str, str]:
    return dict(planned_function(plan, function)["inputs"]["environment"]["variables"])


def event_source_mapping(plan: Mapping[str, Any], function: str) -> dict[str, Any] | None:
    name = planned_function(plan, function)["inputs"]["name"]
    mappings = [m for m in of_type(plan, "aws:lambda/eventSourceMapping:EventSourceMapping")]
    found = [m for m in mappings if m["inputs"]["functionName"] == name]
    return found[0] if found else None


def _secret_name(arn: str) -> str:
    """`arn:...:secret:<name>-<6 random characters>` -> `<name>`."""
    return arn.split(":secret:", 1)[1].rsplit("-", 1)[0]


def cold_start_observability() -> None:
    """Powertools' logger and metrics read POWERTOOLS_* when the handler module is imported, which on
    Lambda happens after the function's variables are set: apply the current ones the same way."""
    metrics.namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE")
    metrics.service = os.environ.get("POWERTOOLS_SERVICE_NAME")
    logger.service = os.environ.get("POWERTOOLS_SERVICE_NAME", "service_undefined")
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))


def reset_handler_state() -> None:
    """A new execution environment: settings, clients and the database connection are built again."""
    execution_environment.clear_caches()


@dataclass
class Response:
    status: int
    body: Any
    reached_function: bool


@dataclass
class PlanWorld:
    plan: dict[str, Any]
    region: str
    clients: dict[str, Any]  # the test's own clients (made before any handler runs)
    variables: dict[str, dict[str, str]]  # function -> what it runs with: the plan's, substituted
    substituted: dict[str, dict[str, tuple[str | None, str]]]  # function -> variable -> (plan value, local)
    queue_url: str
    queue_arn: str
    dlq_url: str
    observer_queue_url: str  # an SQS queue subscribed to the notification topic
    invocations: dict[str, int] = field(default_factory=dict)

    # --- Lambda: a function runs with exactly its variables ---
    @contextmanager
    def running_as(self, function: str) -> Iterator[None]:
        saved = dict(os.environ)
        for name in ENVIRONMENT_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(self.variables[function])
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = self.region  # what Lambda sets
        cold_start_observability()
        reset_handler_state()
        try:
            yield
        finally:
            reset_handler_state()
            os.environ.clear()
            os.environ.update(saved)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """One invocation in the function's execution environment (kept warm while `running_as`)."""
        self.invocations[function] = self.invocations.get(function, 0) + 1
        return HANDLERS[function](
            event, FakeLambdaContext(function_name=planned_function(self.plan, function)["inputs"]["name"])
        )

    # --- API Gateway, as the plan declares it ---
    def method(self, http_method: str, path: str) -> dict[str, Any]:
        (found,) = [
            m
            for m in of_type(self.plan, "aws:apigateway/method:Method")
            if m["inputs"]["httpMethod"] == http_method
            and logical_name(m) == f"api{path.replace('/', '-')}-{http_method.lower()}"
        ]
        return found

    def gateway_response(self, response_type: str) -> Response:
        (found,) = [
            r["inputs"]
            for r in of_type(self.plan, "aws:apigateway/response:Response")
            if r["inputs"]["responseType"] == response_type
        ]
        return Response(int(found["statusCode"]), json.loads(found["responseTemplates"]["application/json"]), False)

    def model_schema(self, name: str) -> dict[str, Any]:
        (found,) = [m for m in of_type(self.plan, "aws:apigateway/model:Model") if m["inputs"]["name"] == name]
        return dict(json.loads(found["inputs"]["schema"]))

    def api_key_ids(self) -> dict[str, str]:
        return dict(layer_of(self.plan, "application")["outputs"]["apiKeyIds"])

    def call_api(
        self,
        http_method: str,
        path: str,
        *,
        api_key_id: str | None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Response:
        """What API Gateway does before the proxy integration: key, parameters, body model; then the function."""
        method = self.method(http_method, path)["inputs"]
        if method["apiKeyRequired"] and api_key_id not in self.api_key_ids().values():
            return self.gateway_response("INVALID_API_KEY")
        for parameter, required in (method.get("requestParameters") or {}).items():
            name = parameter.removeprefix("method.request.querystring.")
            if required and not (query or {}).get(name):
                return self.gateway_response("BAD_REQUEST_PARAMETERS")
        models = method.get("requestModels") or {}
        if models:
            content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
            model = models.get((content_type or "").split(";")[0].strip().lower()) or models.get("$default")
            if model is not None:
                try:
                    document = json.loads(body or "")
                    jsonschema.Draft4Validator(self.model_schema(model)).validate(document)
                except (ValueError, jsonschema.ValidationError):
                    return self.gateway_response("BAD_REQUEST_BODY")
        function = ROUTES[(http_method, path)]
        event = api_event(http_method, path, body=body, headers=headers, query=query, api_key_id=api_key_id)
        with self.running_as(function):
            answer = self.invoke(function, event)
        return Response(int(answer["statusCode"]), json.loads(answer["body"]), True)

    def call_alb(
        self,
        http_method: str,
        path: str,
        *,
        api_key: str | None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Response:
        """The other front door: the ALB forwards /api/* to the function, which checks x-api-key itself."""
        event = alb_event(http_method, path, api_key=api_key, body=body, headers=headers, query=query)
        with self.running_as("alb-api"):
            answer = self.invoke("alb-api", event)
        return Response(int(answer["statusCode"]), json.loads(answer["body"]), True)

    # --- the worker's event source mapping, as the plan declares it ---
    def batch_size(self) -> int:
        mapping = event_source_mapping(self.plan, "settlement-worker")
        assert mapping is not None
        return int(mapping["inputs"]["batchSize"])

    def max_receive_count(self) -> int:
        (queue,) = [
            q for q in of_type(self.plan, "aws:sqs/queue:Queue") if q["outputs"]["url"] == self.planned_queue_url()
        ]
        return int(json.loads(queue["inputs"]["redrivePolicy"])["maxReceiveCount"])

    def planned_queue_url(self) -> str:
        return str(layer_of(self.plan, "application")["outputs"]["paymentQueueUrl"])

    def deliver(self, sqs: Any) -> tuple[int, list[dict[str, Any]]]:
        """One poll of the event source mapping with `sqs` (a client of the worker's role): up to the
        plan's batch size, one invocation, the succeeded messages deleted (ReportBatchItemFailures).
        Returns (received, the failed messages)."""
        received: list[dict[str, Any]] = []
        while len(received) < self.batch_size():
            batch = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size() - len(received)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            received += batch
        if not received:
            return 0, []
        attributes = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]
        response = self.invoke("settlement-worker", sqs_event(received, attributes["QueueArn"]))
        failed_ids = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        for message in received:
            if message["MessageId"] not in failed_ids:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(received), [m for m in received if m["MessageId"] in failed_ids]

    def let_visibility_timeout_pass(self, messages: list[dict[str, Any]]) -> None:
        """Time passing (the plan's visibility timeout, 180 s): the failed messages are visible again."""
        for message in messages:
            self.clients["sqs"].change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )


def _number(value: Any) -> str:
    return str(int(float(value)))


def _create_tables(plan: Mapping[str, Any], dynamodb: Any) -> None:
    for table in of_type(plan, "aws:dynamodb/table:Table"):
        spec = table["inputs"]
        keys = [{"AttributeName": spec["hashKey"], "KeyType": "HASH"}]
        if spec.get("rangeKey"):
            keys.append({"AttributeName": spec["rangeKey"], "KeyType": "RANGE"})
        encryption = spec.get("serverSideEncryption") or {}
        dynamodb.create_table(
            TableName=spec["name"],
            KeySchema=keys,
            AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in spec["attributes"]],
            BillingMode=spec["billingMode"],
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": encryption["kmsKeyArn"]}
            if encryption.get("enabled")
            else {"Enabled": False},
        )
        if (spec.get("ttl") or {}).get("enabled"):
            dynamodb.update_time_to_live(
                TableName=spec["name"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["ttl"]["attributeName"]},
            )


def _create_queues(plan: Mapping[str, Any], sqs: Any) -> dict[str, str]:
    """Every planned queue with its planned settings, dead-letter queues first; name -> URL."""
    urls: dict[str, str] = {}
    queues = sorted(of_type(plan, "aws:sqs/queue:Queue"), key=lambda q: "redrivePolicy" in q["inputs"])
    for queue in queues:
        spec = queue["inputs"]
        attributes = {
            "KmsMasterKeyId": spec["kmsMasterKeyId"],
            "KmsDataKeyReusePeriodSeconds": _number(spec["kmsDataKeyReusePeriodSeconds"]),
            "MessageRetentionPeriod": _number(spec["messageRetentionSeconds"]),
        }
        if "visibilityTimeoutSeconds" in spec:
            attributes["VisibilityTimeout"] = _number(spec["visibilityTimeoutSeconds"])
        if "redrivePolicy" in spec:
            attributes["RedrivePolicy"] = spec["redrivePolicy"]
        urls[spec["name"]] = sqs.create_queue(QueueName=spec["name"], Attributes=attributes)["QueueUrl"]
    return urls


def _create_secrets(plan: dict[str, Any], secretsmanager: Any, postgres: PostgresServer) -> dict[str, str]:
    """The secrets the functions read, under the plan's names and keys; plan ARN -> moto ARN."""
    data = layer_of(plan, "data")["outputs"]
    values = {data["databaseSecretArn"]: json.dumps({"username": APP_USER, "password": postgres.app_password})}
    keys = {}
    for database in of_type(plan, "aws:rds/instance:Instance") + of_type(plan, "aws:rds/cluster:Cluster"):
        for managed in database["outputs"].get("masterUserSecrets") or []:
            keys[managed["secretArn"]] = database["inputs"]["masterUserSecretKmsKeyId"]
    return {
        planned: secretsmanager.create_secret(Name=_secret_name(planned), SecretString=value, KmsKeyId=keys[planned])[
            "ARN"
        ]
        for planned, value in values.items()
    }


def _create_parameters(plan: Mapping[str, Any], ssm: Any) -> None:
    """The plan's one parameter, the key-hash key, under its name, type and key, with a test value."""
    (parameter,) = [p["inputs"] for p in of_type(plan, "aws:ssm/parameter:Parameter")]
    assert parameter["value"] == MASKED, "the plan never holds the key"
    ssm.put_parameter(
        Name=parameter["name"], Value=KEY_HASH_KEY, Type=parameter["type"], KeyId=parameter["keyId"], Tier="Standard"
    )


def _write_merchant_entries(plan: dict[str, Any], dynamodb: Any) -> None:
    """The merchants table's items as the plan writes them; its masked ones, the digest shards, for the world's
    key value of the first merchant's key."""
    items = [item["inputs"] for item in of_type(plan, TABLE_ITEM)]
    masked = [item for item in items if item["item"] == MASKED]
    assert len(masked) == len(DIGEST_SHARDS), "only the digest shards are secret"
    first_key_id = sorted(layer_of(plan, "application")["outputs"]["apiKeyIds"].values())[0]
    digest = KeyHasher(KEY_HASH_KEY.encode()).api_key_digest(ALB_MERCHANT_KEY)
    shards = digest_shard_items({digest: first_key_id})
    for item in [json.loads(item["item"]) for item in items if item not in masked] + shards:
        dynamodb.put_item(TableName=items[0]["tableName"], Item=item)


def build_world(plan: dict[str, Any], postgres: PostgresServer) -> PlanWorld:
    """Create the plan's resources on moto (the caller reset it) and work out each function's variables."""
    region = str(layer_of(plan, "application")["outputs"]["region"])
    clients = {
        name: boto3.client(name, region_name=region)
        for name in ("dynamodb", "sqs", "sns", "s3", "secretsmanager", "ssm")
    }
    _create_tables(plan, clients["dynamodb"])
    _write_merchant_entries(plan, clients["dynamodb"])
    _create_parameters(plan, clients["ssm"])
    queue_urls = _create_queues(plan, clients["sqs"])

    # the notification topic: the application layer's only topic (the observability layer has the alarm topic)
    (topic,) = [t for t in layer_of(plan, "application")["resources"] if t["type"] == "aws:sns/topic:Topic"]
    topic_arn = clients["sns"].create_topic(
        Name=topic["inputs"]["name"], Attributes={"KmsMasterKeyId": topic["inputs"]["kmsMasterKeyId"]}
    )["TopicArn"]
    assert topic_arn == topic["outputs"]["arn"], "moto's topic ARN is the plan's: no substitution"
    # The plan subscribes email addresses (never delivered offline); an SQS queue observes instead.
    observer_url = clients["sqs"].create_queue(QueueName="notification-observer")["QueueUrl"]
    observer_arn = clients["sqs"].get_queue_attributes(QueueUrl=observer_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    clients["sns"].subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=observer_arn, Attributes={"RawMessageDelivery": "true"}
    )

    audit_bucket = layer_of(plan, "data")["outputs"]["auditBucketName"]
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    clients["s3"].create_bucket(Bucket=audit_bucket, **location)
    for encryption in of_type(
        plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        if encryption["inputs"]["bucket"] == audit_bucket:
            rules = encryption["inputs"]["rules"]
            clients["s3"].put_bucket_encryption(
                Bucket=audit_bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                                "KMSMasterKeyID": rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"],
                            },
                            "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled")),
                        }
                        for rule in rules
                    ]
                },
            )
    secret_arns = _create_secrets(plan, clients["secretsmanager"], postgres)

    variables: dict[str, dict[str, str]] = {}
    substituted: dict[str, dict[str, tuple[str | None, str]]] = {}
    for function in HANDLERS:
        planned = planned_variables(plan, function)
        local = dict(planned)
        for name, value in planned.items():
            if value in secret_arns:
                local[name] = secret_arns[value]
        if "DB_PROXY_ENDPOINT" in planned:
            local |= {
                "DB_PROXY_ENDPOINT": postgres.host,
                "DB_PORT": str(postgres.port),
                "DB_CA_BUNDLE_PATH": str(postgres.pki.ca_file),
            }
        variables[function] = local
        substituted[function] = {
            name: (planned.get(name), value) for name, value in local.items() if planned.get(name) != value
        }

    application = layer_of(plan, "application")["outputs"]
    queue_url = queue_urls[application["paymentQueueName"]]
    return PlanWorld(
        plan=plan,
        region=region,
        clients=clients,
        variables=variables,
        substituted=substituted,
        queue_url=queue_url,
        queue_arn=clients["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ],
        dlq_url=queue_urls[application["paymentDlqName"]],
        observer_queue_url=observer_url,
    )

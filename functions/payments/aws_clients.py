"""boto3 clients, created once per execution environment on first use (not at import)."""

from __future__ import annotations

from typing import Any, Literal

import boto3
from botocore.config import Config

from payments import execution_environment

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=5,
    max_pool_connections=50,
)


@execution_environment.cached
def client(service: Literal["dynamodb", "sqs", "sns", "s3", "secretsmanager", "ssm", "rds"]) -> Any:
    return boto3.client(service, config=_CONFIG)

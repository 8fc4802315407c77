"""The Powertools logger, tracer and metrics every handler shares (configured from POWERTOOLS_* variables).

Tracing patches botocore only (every AWS call becomes an X-Ray subsegment); database work is traced
with `tracer.capture_method` instead of the X-Ray pg8000 patch, which would import pg8000, requests
and sqlite3 into every handler's cold start.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()

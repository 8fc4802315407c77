"""The Powertools logger and metrics every handler shares (configured from POWERTOOLS_* variables).

No tracer: traces are Lambda's active-tracing segments (functions/README.md, "Telemetry"). The
Powertools Tracer is built on the X-Ray SDK, which reaches end of support on 2027-02-25, and
OpenTelemetry costs more cold start than the whole budget (docs/design.md, "Tracing and cold start
of the payment functions").
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

"""The Powertools logger and metrics every handler shares (configured from POWERTOOLS_* variables).

No tracer: traces are Lambda's active-tracing segments (see functions/README.md, "Telemetry"). The
Powertools Tracer is built on the X-Ray SDK, which reaches end of support on 2027-02-25 and cost
more cold start than the rest of a handler's imports together (docs/design.md, "Tracing").
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

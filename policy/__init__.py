"""The payments platform's CrossGuard policies, importable without starting a policy server.

`policy/__main__.py` serves them to `pulumi preview/up --policy-pack policy`; `make policy` runs the
same objects over the offline plans. docs/policies.md lists them and says how to add one.
"""

from pulumi_policy import EnforcementLevel, Policy

from policy import (
    api_gateway,
    database,
    edge,
    encryption,
    network,
    observability,
    promises,
    serverless,
    storage,
    tagging,
    teardown,
)

PACK_NAME = "payments-baseline"
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

ALL_POLICIES: tuple[Policy, ...] = (
    *storage.POLICIES,
    *database.POLICIES,
    *network.POLICIES,
    *encryption.POLICIES,
    *serverless.POLICIES,
    *api_gateway.POLICIES,
    *edge.POLICIES,
    *observability.POLICIES,
    *tagging.POLICIES,
    *teardown.POLICIES,
    *promises.POLICIES,
)

__all__ = ["ALL_POLICIES", "ENFORCEMENT_LEVEL", "PACK_NAME"]

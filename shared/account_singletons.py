"""Things AWS keeps once per account and region, which exactly one environment there may own.

Two stacks declaring the same one would fight over it (the second create fails, a destroy takes it
from the other); none declaring it leaves AWS's default in place. So a boolean stack-config key names
the owner, and validation refuses every other count among the environments that share an account
(`platform:allowedAccountIds`) and region.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import PlatformConfig


@dataclass(frozen=True)
class SingleOwner:
    key: str  # the stack-config key naming the owner, e.g. application:ownsApiGatewayAccount
    what: str  # the account-and-region singleton, e.g. "the API Gateway account settings"
    why: str  # what happens when nobody owns it


def single_owner_problems(
    singleton: SingleOwner,
    *,
    own: bool,
    platform: PlatformConfig,
    others: Mapping[str, tuple[PlatformConfig, bool]],
) -> list[str]:
    """`others`: each other stack file of the layer -> (its platform block, whether it owns the singleton)."""
    problems = []
    for account in platform.allowed_account_ids:
        sharing = {
            stack: owns
            for stack, (where, owns) in sorted(others.items())
            if where.region == platform.region and account in where.allowed_account_ids
        }
        owners = [stack for stack, owns in sharing.items() if owns]
        if own:
            owners.insert(0, f"this stack ({platform.environment})")
        where = f"account {account} in {platform.region}"
        if len(owners) > 1:
            problems.append(
                f"{singleton.key}: {' and '.join(owners)} both own {singleton.what} of {where}; "
                "exactly one environment there may set it to true"
            )
        elif not owners:
            candidates = ", ".join([platform.environment, *sharing])
            problems.append(
                f"{singleton.key}: no environment owns {singleton.what} of {where} ({singleton.why}); "
                f"set it to true in exactly one of: {candidates}"
            )
    return problems

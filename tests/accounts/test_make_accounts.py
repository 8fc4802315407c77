"""`make accounts ENV=<env>`: the layers' preflight, then `pulumi up` of accounts/ only (fake `pulumi`)."""

import shutil

from shared.contracts import DEPLOY_ORDER
from shared.stack_files import REPO
from tests.tooling.test_stacks_cli import Checkout, checkout

__all__ = ["checkout"]


def _with_accounts(checkout: Checkout) -> Checkout:
    (checkout.root / "accounts").mkdir()
    for path in (REPO / "accounts").glob("Pulumi*.yaml"):
        shutil.copy2(path, checkout.root / "accounts" / path.name)
    return checkout


def test_make_accounts_runs_up_of_the_accounts_stack_only(checkout: Checkout) -> None:
    result = _with_accounts(checkout).make("accounts", ENV="staging")

    assert result.returncode == 0, result.output
    calls = checkout.calls()
    stacks = {call["stack"] for call in calls if call["stack"]}
    assert stacks == {"organization/payments-accounts/staging"}
    ups = [call["argv"] for call in calls if call["argv"][:1] == ["up"]]
    assert len(ups) == 1
    assert {"--yes", "--diff", "--non-interactive"} <= set(ups[0])
    assert ups[0][ups[0].index("--cwd") + 1] == str(checkout.root / "accounts")
    assert ups[0][ups[0].index("--policy-pack") + 1] == str(checkout.root / "policy")
    assert not any(call["layer"] in DEPLOY_ORDER for call in calls)


def test_make_accounts_refuses_without_env_or_prod_confirmation(checkout: Checkout) -> None:
    _with_accounts(checkout)
    missing = checkout.make("accounts")
    assert missing.returncode == 2 and "ENV is required" in missing.stderr
    prod = checkout.make("accounts", ENV="prod")
    assert prod.returncode == 2 and "CONFIRM=prod" in prod.stderr
    assert checkout.calls() == []
    assert checkout.make("accounts", ENV="prod", CONFIRM="prod").returncode == 0


def test_make_accounts_refuses_without_aws_credentials(checkout: Checkout) -> None:
    _with_accounts(checkout)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        checkout.env.pop(key)
    result = checkout.make("accounts", ENV="dev")
    assert result.returncode == 2 and "no AWS credentials found" in result.stderr
    assert not [call for call in checkout.calls() if call["stack"]]

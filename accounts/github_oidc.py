"""GitHub's OIDC provider in this account: what lets a workflow job trade its token for a role session."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from accounts.policies import GITHUB_AUDIENCE, GITHUB_OIDC_HOST
from shared.context import LayerContext


@dataclass(frozen=True)
class GithubOidcArgs:
    # IAM holds one provider per URL and account: the environment that owns it creates it, the
    # others sharing the account trust the same ARN (accounts:github.ownsOidcProvider).
    owns_provider: bool
    provider_arn: str


class GithubOidc(pulumi.ComponentResource):
    provider: aws.iam.OpenIdConnectProvider | None

    def __init__(self, name: str, args: GithubOidcArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:accounts:GithubOidc", name, None, opts)
        # No thumbprint: IAM validates GitHub's tokens against its own trusted CAs and ignores one.
        self.provider = (
            aws.iam.OpenIdConnectProvider(
                f"{name}-provider",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_lists=[GITHUB_AUDIENCE],
                tags=ctx.tags(GITHUB_OIDC_HOST),
                opts=ctx.tagged_child(self),
            )
            if args.owns_provider
            else None
        )
        self.arn: pulumi.Output[str] = (
            self.provider.arn if self.provider else pulumi.Output.from_input(args.provider_arn)
        )
        self.register_outputs({"arn": self.arn})

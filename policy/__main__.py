"""The CrossGuard pack `pulumi preview/up --policy-pack policy` runs. Building a PolicyPack starts the
policy server and blocks, so the rules live in this package's modules and nothing else happens here."""

from pulumi_policy import PolicyPack

from policy import ALL_POLICIES, ENFORCEMENT_LEVEL, PACK_NAME

PolicyPack(name=PACK_NAME, enforcement_level=ENFORCEMENT_LEVEL, policies=list(ALL_POLICIES))

"""Environment parity: plans differ only where a differing stack-config key declares it (the one comparator,
`tooling.checks.compare`, that `make parity` and `make compare` share)."""

import copy
import itertools

import pytest

from shared.environments import ENVIRONMENTS
from tests.support import NO_SUCH_ENVIRONMENT, planned
from tooling.checks import parity
from tooling.checks.compare import Side, compare

ENV_PAIRS = list(itertools.combinations(ENVIRONMENTS, 2))


def differences(left: str, right: str, right_plan=None):
    return compare(Side(left, "plan", planned(left)), Side(right, "plan", right_plan or planned(right)))


def resource(plan, layer: str, urn_suffix: str):
    (layer_plan,) = [candidate for candidate in plan["layers"] if candidate["name"] == layer]
    found = [r for r in layer_plan["resources"] if r["urn"].endswith(f"::{urn_suffix}")]
    assert len(found) == 1, urn_suffix
    return found[0]


@pytest.mark.parametrize(("left", "right"), ENV_PAIRS)
def test_the_repositorys_environments_differ_only_where_declared(left, right):
    undeclared = [d for d in differences(left, right) if not d.declared_by]
    assert undeclared == []


def test_make_parity_compares_every_environment_with_its_promotion_source_or_predecessor():
    pairs = parity.neighbours()
    assert [right for _, right in pairs] == list(ENVIRONMENTS[1:])
    for (left, right), previous in zip(pairs, ENVIRONMENTS, strict=False):
        assert left == (parity.promoted_from(right) or previous)
    assert parity.promoted_from("prod") == "staging"
    assert parity.neighbours(["a", "b", "c", "d"], {"d": "b"}.get) == [("a", "b"), ("b", "c"), ("b", "d")]
    assert [parity.lower_environment(env) for env in ENVIRONMENTS] == [None] + [left for left, _ in pairs]


def test_staging_and_prod_differ_exactly_in_the_declared_production_settings():
    found = differences("staging", "prod")
    declaring = {key for d in found for key in d.declared_by}
    assert declaring >= {
        "data:instanceClass",
        "data:backupRetentionDays",
        "data:auditExpirationDays",
        "data:protectDataStores",
        "platform:logRetentionDays",
        "networking:vpcCidr",
    }
    instance = next(d for d in found if d.path == "instanceClass")
    assert (instance.left_value, instance.right_value) == ("db.t3.medium", "db.r5.large")
    protected = {d.name for d in found if d.path == "protect"}
    assert {"database-instance", "tables-transactions", "tables-idempotency", "audit-bucket"} <= protected


def test_dev_and_staging_differ_in_availability_zones_and_nat_by_declaration():
    found = differences("dev", "staging")
    nat = [d for d in found if d.type == "aws:ec2/natGateway:NatGateway"]
    assert len(nat) == 3 and all(d.path is None and d.kind == "add" and d.right_value and not d.left_value for d in nat)
    assert all({"networking:availabilityZones", "networking:natStrategy"} & set(d.declared_by) for d in nat)


def test_an_undeclared_property_difference_is_reported():
    prod = copy.deepcopy(planned("prod"))
    resource(prod, "networking", "network-vpc")["inputs"]["enableDnsHostnames"] = False
    (undeclared,) = [d for d in differences("staging", "prod", prod) if not d.declared_by]
    assert (undeclared.name, undeclared.path) == ("network-vpc", "enableDnsHostnames")
    assert (undeclared.left_value, undeclared.right_value, undeclared.kind) == (True, False, "update")
    assert (undeclared.left, undeclared.right, undeclared.layer) == ("staging:plan", "prod:plan", "networking")


def test_a_resource_that_exists_in_one_environment_only_is_reported():
    prod = copy.deepcopy(planned("prod"))
    networking = prod["layers"][0]
    extra = copy.deepcopy(resource(prod, "networking", "network-vpc"))
    extra["urn"] = extra["urn"].replace("::network-vpc", "::shadow-vpc")
    networking["resources"].append(extra)
    (undeclared,) = [d for d in differences("staging", "prod", prod) if not d.declared_by]
    assert undeclared.path is None and undeclared.kind == "add" and undeclared.resource.endswith("::shadow-vpc")


def test_protect_may_differ_only_where_protect_data_stores_differs():
    staging = copy.deepcopy(planned("staging"))
    resource(staging, "data", "database-instance")["protect"] = True
    (undeclared,) = [d for d in differences("dev", "staging", staging) if not d.declared_by]
    assert undeclared.path == "protect"


def test_parity_command_passes_on_the_repository_and_rejects_bad_arguments(capsys):
    assert parity.main(["staging", "prod"]) == 0
    assert "environments differ only where their stack files declare it" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        parity.main(["staging", NO_SUCH_ENVIRONMENT])
    assert exit_.value.code == 2
    assert "unknown environment 'nope'; allowed: dev, staging, prod" in capsys.readouterr().err

"""Environment parity: plans differ only where a differing stack-config key declares it."""

import copy

import pytest

from tests.support import planned
from tooling.checks import parity

ENV_PAIRS = [("dev", "staging"), ("staging", "prod"), ("dev", "prod")]


def differences(left: str, right: str, right_plan=None):
    return parity.compare(left, right, planned(left), right_plan or planned(right))


def resource(plan, layer: str, urn_suffix: str):
    (layer_plan,) = [candidate for candidate in plan["layers"] if candidate["name"] == layer]
    found = [r for r in layer_plan["resources"] if r["urn"].endswith(f"::{urn_suffix}")]
    assert len(found) == 1, urn_suffix
    return found[0]


@pytest.mark.parametrize(("left", "right"), ENV_PAIRS)
def test_the_repositorys_environments_differ_only_where_declared(left, right):
    undeclared = [d for d in differences(left, right) if not d.declared_by]
    assert undeclared == []


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
    instance = next(d for d in found if d.what == "instanceClass")
    assert (instance.left, instance.right) == ("db.t3.medium", "db.r5.large")
    protected = {d.resource.rsplit("::", 1)[-1] for d in found if d.what == "protect"}
    assert {"database-instance", "tables-transactions", "tables-idempotency", "audit-bucket"} <= protected


def test_dev_and_staging_differ_in_availability_zones_and_nat_by_declaration():
    found = differences("dev", "staging")
    nat = [d for d in found if d.type == "aws:ec2/natGateway:NatGateway"]
    assert len(nat) == 3 and all(d.what == "exists" and d.right and not d.left for d in nat)
    assert all({"networking:availabilityZones", "networking:natStrategy"} & set(d.declared_by) for d in nat)


def test_an_undeclared_property_difference_is_reported():
    prod = copy.deepcopy(planned("prod"))
    resource(prod, "networking", "network-vpc")["inputs"]["enableDnsHostnames"] = False
    (undeclared,) = [d for d in differences("staging", "prod", prod) if not d.declared_by]
    assert (undeclared.resource.rsplit("::", 1)[-1], undeclared.what) == ("network-vpc", "enableDnsHostnames")
    assert (undeclared.left, undeclared.right) == (True, False)


def test_a_resource_that_exists_in_one_environment_only_is_reported():
    prod = copy.deepcopy(planned("prod"))
    networking = prod["layers"][0]
    extra = copy.deepcopy(resource(prod, "networking", "network-vpc"))
    extra["urn"] = extra["urn"].replace("::network-vpc", "::shadow-vpc")
    networking["resources"].append(extra)
    (undeclared,) = [d for d in differences("staging", "prod", prod) if not d.declared_by]
    assert undeclared.what == "exists" and undeclared.resource.endswith("::shadow-vpc")


def test_protect_may_differ_only_where_protect_data_stores_differs():
    staging = copy.deepcopy(planned("staging"))
    resource(staging, "data", "database-instance")["protect"] = True
    (undeclared,) = [d for d in differences("dev", "staging", staging) if not d.declared_by]
    assert undeclared.what == "protect"


def test_parity_command_passes_on_the_repository_and_rejects_bad_arguments(capsys):
    assert parity.main(["staging", "prod"]) == 0
    assert "environments differ only where their stack files declare it" in capsys.readouterr().out
    assert parity.main(["staging", "qa"]) == 2

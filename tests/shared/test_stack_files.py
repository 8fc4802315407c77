"""Stack files: read strictly, every problem of every file at once, and the plan refuses what these tests refuse."""

import re
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel

from shared import stack_files
from shared.config import StrictModel, parse_stack_config
from shared.contracts import DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.errors import PlatformConfigError, StackFileError
from shared.stack_files import REPO, read_effective_config, read_stack_file
from tooling.checks import config_keys, parity, stack_config
from tooling.checks import plan_files as plan_cli
from tooling.plan import engine
from tooling.stacks import preflight


def test_the_projects_are_the_layers_and_the_account_bootstrap():
    on_disk = {path.parent.name for path in REPO.glob("*/Pulumi.yaml")}
    assert on_disk == set(stack_config.PROJECTS) == {*DEPLOY_ORDER, "accounts"}


@pytest.mark.parametrize("project", stack_config.PROJECTS)
def test_every_project_has_one_stack_file_per_environment(project):
    stacks = stack_files.stack_files(REPO / project)
    missing = [f"{project}/Pulumi.{env}.yaml" for env in ENVIRONMENTS if env not in stacks]
    unknown = [f"{project}/Pulumi.{stack}.yaml" for stack in stacks if stack not in ENVIRONMENTS]
    assert (missing, unknown) == ([], []), f"one stack file per environment of shared/environments.py: {ENVIRONMENTS}"
    assert (REPO / project / "Pulumi.yaml").read_text().startswith(f"name: payments-{project}\n")


def test_the_repositorys_stack_files_have_no_problem():
    """The checks `make plan` runs first: each file valid, the platform: block the same in every project
    of an environment, the same keys in every environment, every difference declared."""
    assert stack_config.stack_file_problems() == []


def test_stack_config_names_no_real_account_and_no_provider_namespace():
    for project in stack_config.PROJECTS:
        for env in ENVIRONMENTS:
            text = (REPO / project / f"Pulumi.{env}.yaml").read_text()
            assert set(re.findall(r"\b\d{12}\b", text)) <= {"123456789012"}, f"{project}/{env}"
            assert not re.search(r"^\s*aws:", text, re.MULTILINE), (
                f"{project}/{env}: configure the provider through platform: keys"
            )


@pytest.fixture
def stack_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every project's stack files in a scratch repository that the checks and the plan read instead."""
    for project in stack_config.PROJECTS:
        (tmp_path / project).mkdir()
        for path in (REPO / project).glob("Pulumi*.yaml"):  # the project file too: values every stack inherits
            shutil.copy2(path, tmp_path / project / path.name)
    monkeypatch.setattr(stack_files, "REPO", tmp_path)
    monkeypatch.setattr(engine, "PLAN_DIR", tmp_path / "build" / "plan")
    return tmp_path


# --- one file: YAML errors in one line naming the file, line and column ------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config:\n  networking:vpcCidr: [10.0.0.0/16\n", r"networking/Pulumi\.dev\.yaml:3:1: invalid YAML: .*flow"),
        (
            "config:\n  networking:natStrategy: none: single\n",
            r"networking/Pulumi\.dev\.yaml:2:31: invalid YAML: mapping",
        ),
        ("config:\n\tnetworking:natStrategy: none\n", r"networking/Pulumi\.dev\.yaml:2:1: invalid YAML: .*a tab"),
        (
            "config:\n  networking:natStrategy: none\n  networking:natStrategy: single\n",
            r"networking/Pulumi\.dev\.yaml:3:3: invalid YAML: duplicate key 'networking:natStrategy' "
            r"\(first on line 2\)",
        ),
        (
            'config:\n  networking:peering: {"enabled": true, "enabled": false}\n',
            r"networking/Pulumi\.dev\.yaml:2:41: invalid YAML: duplicate key 'enabled' \(first on line 2\)",
        ),
        ("- config\n", r"networking/Pulumi\.dev\.yaml:1:1: a stack file is a mapping with a config: block, not a list"),
        ("confg:\n  a: b\n", r"networking/Pulumi\.dev\.yaml: unknown top-level key 'confg'; allowed: config, "),
        (
            "config:\n  networking:natStrategy:\n",
            r"networking/Pulumi\.dev\.yaml: config: 'networking:natStrategy' has no value",
        ),
    ],
    ids=["unclosed-list", "colon-in-value", "tab", "duplicate-key", "duplicate-nested-key", "list", "typo", "null"],
)
def test_a_malformed_stack_file_is_one_line_naming_file_line_and_column(text, expected, stack_repo):
    path = stack_repo / "networking" / "Pulumi.dev.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError) as error:
        read_stack_file(path)
    (line,) = str(error.value).splitlines()
    assert re.match(expected, line), line


# --- every file at once, through `make plan` ---------------------------------------------------------


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def refusal(capsys: pytest.CaptureFixture[str], env: str = "dev") -> list[str]:
    """`make plan ENV=<env>`: exit 1, nothing written, the problems on stderr (one line each, no traceback)."""
    assert plan_cli.main([env]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert not (engine.PLAN_DIR / f"{env}.json").exists()
    return err.splitlines()


def test_every_problem_of_every_layer_is_reported_at_once(stack_repo, capsys):
    """A YAML error, field errors with the rules between fields of the same model, and a platform: value
    that differs between layers: one refusal lists them all, each line naming its file."""
    edit(stack_repo / "networking" / "Pulumi.dev.yaml", "natStrategy: none", "natStrategy: [none")
    application = stack_repo / "application" / "Pulumi.dev.yaml"
    edit(application, "application:memoryMb: 512", "application:memoryMb: 64")
    edit(application, '"payments-dev@example.com"', '"payments at example", "payments at example"')
    edit(
        application,
        "minSize: 1, maxSize: 2, desiredCapacity: 1",
        "minSize: 2, maxSize: 2, desiredCapacity: 1",
    )
    edit(application, "instanceType: t4g.small", "instanceType: t3.small")
    edit(stack_repo / "observability" / "Pulumi.dev.yaml", "alarmEmails: [", 'alarmEmails: ["oncall", ')
    edit(
        stack_repo / "data" / "Pulumi.dev.yaml", "platform:region: us-east-1", "platform:region: us-west-2"
    )  # a region no other environment shares

    lines = refusal(capsys)
    assert lines[0] == "plan dev failed: Invalid stack configuration (8 problem(s)):"
    expected = [
        "networking/Pulumi.dev.yaml:14:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
        "sequence started at 13:27)",
        "application/Pulumi.dev.yaml: application:memoryMb: Input should be greater than or equal to 128",
        "application/Pulumi.dev.yaml: application:notificationEmails.0: 'payments at example' is not an email",
        "application/Pulumi.dev.yaml: application:notificationEmails.1: 'payments at example' is not an email",
        "application/Pulumi.dev.yaml: application:webTier.instanceType: 't3.small' is not a Graviton",
        "application/Pulumi.dev.yaml: application:webTier.desiredCapacity: minSize (2) <= desiredCapacity (1)",
        "observability/Pulumi.dev.yaml: observability:alarmEmails.0: 'oncall' is not an email address",
        "platform:region differs between the projects of dev (us-west-2 in data; us-east-1 in application, "
        "observability, accounts)",
    ]
    for fragment in expected:
        assert any(line.startswith(f"  - {fragment}") for line in lines), f"{fragment!r} not in:\n" + "\n".join(lines)


def test_a_platform_value_differing_between_layers_names_the_stack_files_as_the_fix(stack_repo, capsys):
    edit(
        stack_repo / "observability" / "Pulumi.prod.yaml",
        "platform:logRetentionDays: 365",
        "platform:logRetentionDays: 30",
    )
    (_, line) = refusal(capsys, "prod")
    assert line.startswith("  - platform:logRetentionDays differs between the projects of prod (365 in networking,")
    assert "set one value in all of them" in line and "never between layers" in line


def test_a_key_declared_in_one_environment_only_is_refused(stack_repo, capsys):
    edit(
        stack_repo / "data" / "Pulumi.staging.yaml",
        "data:multiAz: true",
        "data:multiAz: true\n  data:secretRotationDays: 30",
    )
    assert refusal(capsys)[1:] == [
        f"  - data/Pulumi.{env}.yaml: lacks data:secretRotationDays, which Pulumi.staging.yaml declares: every "
        "environment declares the same keys (set the value this environment needs)"
        for env in ("dev", "prod")
    ]


def test_a_difference_between_environments_must_be_declared(stack_repo, capsys):
    edit(stack_repo / "data" / "Pulumi.prod.yaml", 'data:engineVersion: "14"', 'data:engineVersion: "14.15"')
    (_, line) = refusal(capsys)
    assert line.startswith('  - data:engineVersion differs between environments (dev="14", staging="14", prod="14.15")')


def test_a_stack_file_of_another_environment_is_named_after_it(stack_repo, capsys):
    edit(
        stack_repo / "networking" / "Pulumi.staging.yaml", "platform:environment: staging", "platform:environment: prod"
    )
    lines = refusal(capsys)
    assert (
        "  - networking/Pulumi.staging.yaml: platform:environment is 'prod' but the stack is 'staging'; a stack "
        in ("\n".join(lines))
    )


def test_a_missing_stack_file_is_named(stack_repo, capsys):
    (stack_repo / "observability" / "Pulumi.dev.yaml").unlink()
    lines = refusal(capsys)
    assert "  - observability/Pulumi.dev.yaml is missing: every project needs a stack file per environment" in lines


# --- rules between keys run with the field errors ----------------------------------------------------


def settings_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = list(stack_config.SETTINGS_MODELS.values())
    while pending:
        model = pending.pop()
        if model not in found:
            found.append(model)
            pending += [
                f.annotation
                for f in model.model_fields.values()
                if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
            ]
    return found


def test_no_settings_model_hides_a_rule_behind_its_field_errors():
    """pydantic runs model validators only once every field is valid; rules are field validators here."""
    models = settings_models()
    assert len(models) > 10
    for model in models:
        assert issubclass(model, StrictModel), model
        assert not model.__pydantic_decorators__.model_validators, f"{model.__name__}: use a field validator"


@pytest.mark.parametrize(
    ("project", "env", "overrides", "expected"),
    [
        (
            "application",
            "dev",
            {"application:memoryMb": "1", "application:queueMaximumConcurrency": "6",
             "application:batchSize": "100", "application:batchingWindowSeconds": "0",
             "application:apiThrottle": '{"rateLimit": 100, "burstLimit": 50}',
             "application:domain": '{"name": "Bad Name"}'},
            ["application:memoryMb: Input should be greater than or equal to 128",
             "application:queueMaximumConcurrency: 6 is above workerReservedConcurrency 2",
             "application:batchingWindowSeconds: 0 with batchSize 100",
             "application:apiThrottle.burstLimit: 50 is below rateLimit (100)",
             "application:domain.name: 'Bad Name' is not a lowercase DNS name",
             ],
        ),
        (
            "data",
            "dev",
            {"data:backupRetentionDays": "99", "data:allocatedStorageGb": "200", "data:auditExpirationDays": "100",
             "data:auditTransitionDays": "120",
             "data:aurora": '{"minCapacity": 4, "maxCapacity": 2}', "data:engine": "aurora-postgresql",
             "data:dr": '{"enabled": true, "region": "us-west-2"}'},
            ["data:backupRetentionDays: Input should be less than or equal to 35",
             "data:maxAllocatedStorageGb: 100 must be at least allocatedStorageGb (200)",
             "data:auditExpirationDays: 100 must be greater than auditTransitionDays (120)",
             "data:aurora.maxCapacity: minCapacity 4 is above maxCapacity 2",
             "data:dr: enabled: cross-region replication of automated backups exists for RDS instances only"],
        ),
        (
            "networking",
            "dev",
            {"networking:availabilityZones": "9", "networking:peering": '{"enabled": true}',
             "platform:promotedFrom": "dev", "platform:deployRoleArn": "arn:aws:iam::210987654321:role/deploy"},
            ["networking:availabilityZones: Input should be less than or equal to 4",
             "networking:peering.peerEnvironment: required when enabled is true",
             "platform:promotedFrom: 'dev' cannot promote from itself",
             "platform:deployRoleArn: 'arn:aws:iam::210987654321:role/deploy' is in account 210987654321"],
        ),
    ],
    ids=["application", "data", "networking-and-platform"],
)  # fmt: skip
def test_rules_between_keys_are_reported_with_the_field_errors(project, env, overrides, expected):
    raw = {**read_effective_config(REPO / project / f"Pulumi.{env}.yaml"), **overrides}
    with pytest.raises(PlatformConfigError) as error:
        parse_stack_config(raw, project, stack_config.SETTINGS_MODELS[project], f"{project}/Pulumi.{env}.yaml")
    listed = str(error.value).splitlines()[1:]
    for fragment in expected:
        assert any(line.startswith(f"  - {fragment}") for line in listed), f"{fragment!r} not in:\n{error.value}"
    assert len(listed) == len(expected)


def test_the_real_cli_targets_refuse_a_malformed_stack_file_in_one_line(stack_repo):
    """`make preview/deploy/drift/compare` read the stack files before the CLI runs: one refusal line."""
    (stack_repo / "data" / "Pulumi.dev.yaml").write_text("config:\n  data:engine: postgres\n  data:engine: aurora\n")
    with pytest.raises(preflight.Refusal) as refusal:
        preflight.load_stacks("dev")
    assert str(refusal.value) == (
        "data/Pulumi.dev.yaml:3:3: invalid YAML: duplicate key 'data:engine' (first on line 2)"
    )


def test_a_plan_the_readme_tables_disagree_with_exits_1(tmp_path, monkeypatch, capsys):
    """`make test` fails when the README's tables are not what `make docs` writes from the stack files: so
    does `make plan`, after writing the plan, naming the fix."""
    (tmp_path / "data").mkdir()
    for document in ("README.md", "data/README.md", "application/README.md", "accounts/README.md"):
        (tmp_path / document).parent.mkdir(exist_ok=True)
        shutil.copy2(REPO / document, tmp_path / document)
    edit(
        tmp_path / "README.md",
        "| db.t3.medium | db.t3.medium | db.r5.large |",
        "| db.t3.medium | db.t3.medium | db.r6g.large |",
    )
    monkeypatch.setattr(config_keys, "REPO", tmp_path)
    monkeypatch.setattr(engine, "PLAN_DIR", tmp_path / "build" / "plan")
    assert plan_cli.main(["dev"]) == 1
    out, err = capsys.readouterr()
    assert (engine.PLAN_DIR / "dev.json").exists() and "dev: no type findings" in out
    assert err == "README.md: its generated tables disagree with the models and stack files: run `make docs`\n"


def test_parity_names_the_stack_files_not_the_variations_when_a_platform_value_differs(stack_repo, capsys):
    edit(stack_repo / "application" / "Pulumi.dev.yaml", "platform:costCenter: payments-dev", "platform:costCenter: x1")
    assert parity.main([]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "platform:costCenter differs between the projects of dev" in err and "never between layers" in err

"""Same code, different config: no layer and nothing in shared/ branches on the environment's name."""

import textwrap

import pytest

from shared.stack_files import REPO
from tooling.checks.same_code import SCANNED, check, check_source, python_files


def findings(source: str, path: str = "networking/vpc.py") -> list[str]:
    return [f.why for f in check_source(path, textwrap.dedent(source))]


def test_the_layers_and_shared_never_branch_on_the_environment() -> None:
    files = list(python_files())
    assert {path.relative_to(REPO).parts[0] for path in files} == set(SCANNED)
    assert [str(f) for f in check(files)] == []


def test_an_injected_prod_branch_in_a_component_is_caught() -> None:
    path = REPO / "networking" / "flow_logs.py"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("key = aws.kms.Key("))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    injected = [f'{indent}if ctx.platform.environment == "prod":\n', f"{indent}    pulumi.log.info('prod only')\n"]
    source = "".join(lines[:at] + injected + lines[at:])
    assert check_source("networking/flow_logs.py", path.read_text()) == []

    (finding,) = check_source("networking/flow_logs.py", source)

    assert finding.line == at + 1
    assert finding.code == 'ctx.platform.environment == "prod"'
    assert "compares the environment or stack name with a literal" in str(finding)


@pytest.mark.parametrize(
    "source",
    [
        'if pulumi.get_stack() == "prod":\n    size = 3\n',
        'size = 3 if platform.environment != "dev" else 1\n',
        'if env in ("staging", "prod"):\n    pass\n',
        'if name == "prod":\n    pass\n',
        'if config.platform.environment.startswith("prod"):\n    pass\n',
        "match platform.environment:\n    case _:\n        pass\n",
        'match tier:\n    case "prod":\n        pass\n',
        "retention = RETENTION[platform.environment]\n",
        "retention = RETENTION.get(pulumi.get_stack(), 30)\n",
        'retention = {"dev": 7, "prod": 365}[tier]\n',
    ],
)
def test_every_form_of_branching_on_the_environment_is_caught(source: str) -> None:
    assert findings(source)


@pytest.mark.parametrize(
    "source",
    [
        'name = f"vpc-{platform.environment}-{platform.environment_suffix}"\n',
        'tags = {"Environment": platform.environment}\n',
        'ref = pulumi.StackReference(f"{org}/networking/{pulumi.get_stack()}")\n',
        "if (environment, region) != (platform.environment, platform.region):\n    raise ValueError('mixed')\n",
        "others[stack] = other\n",
        "if settings.multi_az:\n    standby = True\n",
    ],
)
def test_using_the_name_as_a_value_or_a_typed_setting_is_fine(source: str) -> None:
    assert findings(source) == []


RULE = """
    class AuditSettings(StrictModel):
        @field_validator("audit_expiration_days")
        @classmethod
        def _prod_keeps_a_year(cls, days, info):
            if platform_of(info).environment == "prod" and days < 365:
                raise ValueError("prod keeps a year")
            return days

        @property
        def transition(self):
            return 30 if self.environment == "prod" else 7
"""


def test_settings_models_may_refuse_a_value_for_one_environment_but_not_shape_one() -> None:
    (finding,) = check_source("data/settings.py", textwrap.dedent(RULE))
    assert "return 30 if self.environment" not in finding.code and finding.code == 'self.environment == "prod"'
    assert len(findings(RULE, "data/database.py")) == 2, "validators are allowed only in settings models"

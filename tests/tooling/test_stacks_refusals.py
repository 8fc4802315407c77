"""Every refusal of the `tooling.stacks` command-line entry points: one `error:` line on stderr that
names what was wrong and the command that works, exit code 2, no Python traceback, nothing on stdout
that looks like an error; and `--help` on each entry point."""

import ast

import pytest

from shared.environments import ENVIRONMENTS
from tests.tooling.test_stacks_cli import REPO, Checkout, checkout

__all__ = ["checkout"]

ENTRY_POINTS = (
    "tooling.stacks",
    "tooling.stacks.release",
    "tooling.stacks.accounts",
    "tooling.stacks.drift",
    "tooling.stacks.compare",
    "tooling.stacks.broadening",
)
ALLOWED = "|".join(ENVIRONMENTS)
PROD = ENVIRONMENTS[-1]

# (entry point, its arguments, what the one error line must say)
REFUSALS = [
    ("tooling.stacks", ["deploy"], ("ENV is required", f"make deploy ENV={ALLOWED}")),
    ("tooling.stacks", ["preview", "--env", "qa"], ("unknown environment 'qa'", ", ".join(ENVIRONMENTS))),
    ("tooling.stacks", ["deploy", "--env", PROD], (f"make deploy ENV={PROD} CONFIRM=prod",)),
    (
        "tooling.stacks",
        ["destroy", "--env", PROD, "--confirm", "0123456789ab"],
        (f"make destroy ENV={PROD} CONFIRM=prod",),
    ),
    (
        "tooling.stacks",
        ["deploy", "--env", PROD, "--confirm", "prod", "--promote-from", "dev"],
        ("make promote FROM=staging TO=prod",),
    ),
    (
        "tooling.stacks.release",
        ["release", "--env", "dev"],
        ("COLOR is required", "make release ENV=dev COLOR=blue|green"),
    ),
    (
        "tooling.stacks.release",
        ["release", "--env", "dev", "--color", "purple"],
        ("COLOR must be one of blue, green", "make release ENV=dev COLOR=blue|green"),
    ),
    (
        "tooling.stacks.release",
        ["release", "--env", "dev", "--color", "green", "--canary", "80"],
        ("CANARY must be a percentage from 0 to 50", "make release ENV=dev COLOR=green CANARY=10"),
    ),
    (
        "tooling.stacks.release",
        ["release", "--env", PROD, "--color", "green"],
        ("make release ENV=prod COLOR=green CONFIRM=prod",),
    ),
    ("tooling.stacks.release", ["rollback", "--env", PROD], ("make rollback ENV=prod CONFIRM=prod",)),
    ("tooling.stacks.release", ["rollback"], ("ENV is required", f"make rollback ENV={ALLOWED}")),
    ("tooling.stacks.accounts", [], ("ENV is required", f"make accounts ENV={ALLOWED}")),
    ("tooling.stacks.accounts", ["--env", PROD], ("make accounts ENV=prod CONFIRM=prod",)),
    ("tooling.stacks.drift", [], ("ENV is required", f"make drift ENV={ALLOWED}")),
    ("tooling.stacks.drift", ["--env", "qa"], ("unknown environment 'qa'", f"make drift ENV={ALLOWED}")),
    ("tooling.stacks.compare", ["--left", "staging", "--right", "staging"], ("make compare LEFT=dev RIGHT=staging",)),
    ("tooling.stacks.compare", ["--left", "qa"], ("unknown environment 'qa'", f"make compare LEFT={ALLOWED}")),
    ("tooling.stacks.compare", ["--source", "cloud"], ("allowed: deployed (the default), plan", "SOURCE=plan")),
    ("tooling.stacks.broadening", ["--source", "cloud"], ("allowed: plan, deployed", "make broadening LEFT=staging")),
    ("tooling.stacks.broadening", ["--right", "qa"], ("unknown environment 'qa'", f"make broadening RIGHT={ALLOWED}")),
]


def test_every_entry_point_is_listed() -> None:
    """A module of tooling/stacks that runs as `python -m` is in ENTRY_POINTS, so its refusals are tried."""
    stacks = REPO / "tooling" / "stacks"
    found = {"tooling.stacks"} | {
        f"tooling.stacks.{path.stem}"
        for path in stacks.glob("*.py")
        if path.stem != "__main__"
        and "__main__" in {n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)}
    }
    assert found == set(ENTRY_POINTS)


@pytest.mark.parametrize(("module", "args", "fragments"), REFUSALS, ids=[f"{m} {' '.join(a)}" for m, a, _ in REFUSALS])
def test_a_refusal_is_one_line_on_stderr_naming_the_command_that_works(
    checkout: Checkout, module: str, args: list[str], fragments: tuple[str, ...]
) -> None:
    result = checkout.python(module, *args)

    assert result.returncode == 2, result.output
    assert "Traceback" not in result.output
    assert "error" not in result.stdout.lower()
    lines = result.error_lines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_help_works_on_every_entry_point(checkout: Checkout, module: str) -> None:
    result = checkout.python(module, "--help")

    assert result.returncode == 0, result.output
    assert result.stdout.startswith("usage: ")
    assert result.stderr == ""

"""Every command under tooling/ (tooling/stacks has its own refusal tests) answers `--help`, and a bad
argument with one line on stderr naming what is allowed: never a traceback, never on stdout."""

import runpy
import subprocess
import sys
import warnings

import pytest

from shared.stack_files import REPO

# What each per-environment command must refuse, besides an unknown option.
PER_ENVIRONMENT = {"tooling.checks.plan_files", "tooling.checks.limits", "tooling.checks.types",
                   "tooling.checks.policy", "tooling.checks.scan", "tooling.checks.cost", "tooling.checks.parity",
                   "tooling.checks.suite", "tooling.graph"}  # fmt: skip


# Not commands: run by another program, never by a person (so no --help to answer).
INTERNAL = {
    "tooling.checks.scan.checkov_driver": "make scan runs it with checkov's own interpreter and one plan path",
}


def entry_points() -> list[str]:
    """Modules under tooling/ that run as `python -m <module>`: packages with a `__main__.py`, and modules
    with a `__main__` block."""
    found = []
    for path in sorted((REPO / "tooling").rglob("*.py")):
        relative = path.relative_to(REPO)
        if relative.parts[:2] == ("tooling", "stacks"):
            continue
        if path.name == "__main__.py":
            found.append(".".join(relative.parent.parts))
        elif 'if __name__ == "__main__":' in path.read_text():
            found.append(".".join(relative.with_suffix("").parts))
    return [module for module in found if module not in INTERNAL]


def run(module: str, *argv: str) -> int:
    """`python -m <module> <argv>` in this process (its imports are warm): the exit code it ends with."""
    saved = sys.argv
    sys.argv = [module, *argv]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # runpy: a module already imported runs again
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    finally:
        sys.argv = saved
    return 0


def test_every_entry_point_is_found():
    found = set(entry_points())
    assert found >= {*PER_ENVIRONMENT, "tooling.bench", "tooling.checks.config_keys", "tooling.checks.same_code"}


@pytest.mark.parametrize("module", entry_points())
def test_help_describes_the_command(module, capsys):
    assert run(module, "--help") == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: ") and err == ""
    assert len(out.splitlines()) > 3, out


@pytest.mark.parametrize("module", entry_points())
def test_an_unknown_option_is_one_line_on_stderr(module, capsys):
    assert run(module, "--no-such-option") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "unrecognized arguments: --no-such-option" in err, err
    assert err.rstrip().endswith("(--help shows the usage)")


@pytest.mark.parametrize("module", sorted(PER_ENVIRONMENT))
def test_an_unknown_environment_names_the_allowed_ones(module, capsys):
    assert run(module, "qa") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "unknown environment 'qa'; allowed: dev, staging, prod" in err, err


def test_the_real_module_entry_point_behaves_the_same():
    """Once through a real `python -m`, as make runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "tooling.checks.plan_files", "qa"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "make plan: argument ENV: unknown environment 'qa'; allowed: dev, staging, prod (--help shows the usage)\n"
    )

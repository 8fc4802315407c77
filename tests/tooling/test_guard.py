"""Every stack change goes through tooling/stacks/guard.py: no other module of tooling/ runs `pulumi up`
or `pulumi destroy`, through the CLI or the Automation API."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / "tooling" / "stacks" / "guard.py"
CHANGES = {"up", "destroy"}


def stack_changes(path: Path) -> list[str]:
    """Calls that change a stack: a CLI call with an `up`/`destroy` argument, or `<obj>.up/destroy(...)`
    on anything but the guard itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        words = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        if CHANGES & set(words):
            found.append(f"{path.relative_to(REPO)}:{node.lineno} pulumi {' '.join(words)}")
        func = node.func
        through_guard = (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "guard"
        )
        if isinstance(func, ast.Attribute) and func.attr in CHANGES and not through_guard:
            found.append(f"{path.relative_to(REPO)}:{node.lineno} .{func.attr}()")
    return found


def test_only_the_guard_changes_stacks() -> None:
    outside = [
        call for path in sorted((REPO / "tooling").rglob("*.py")) if path != GUARD for call in stack_changes(path)
    ]
    assert outside == []


def test_the_detector_sees_the_guards_own_calls() -> None:
    calls = stack_changes(GUARD)
    assert any("pulumi up" in call for call in calls) and any("pulumi destroy" in call for call in calls), calls

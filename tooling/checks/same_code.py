"""Same code, different config: the layers and `shared/` never branch on the environment's name.

Every difference between environments must come from a typed, declared stack-config value, so
that `make parity` and `make compare` can see it and `shared/variations.py` can declare it. This
check reads the source (`ast`) and reports code that decides on the environment or stack name:

- a comparison of the environment or stack name (`pulumi.get_stack()`, `.environment`, `env`,
  `stack`, ...) with a literal, or of anything with a literal environment name
  (`== "prod"`, `in ("staging", "prod")`, `.startswith("prod")`);
- a `match` on the environment, or a `case "prod":`;
- a lookup keyed by the environment (`RETENTION[env]`, `SIZES.get(platform.environment)`) or a
  table keyed by environment names (`{"dev": ..., "prod": ...}`).

Using the name as a value (physical names, tags, stack references) is fine, and so is comparing it
with another such value (a stack reference checking that upstream is the same environment).
Settings models (`<layer>/settings.py`, `shared/config.py`) may refuse a value for one environment
inside their validators (`@field_validator`, `@model_validator`, `environment_problems`): such a
rule shapes no resource.
"""

import ast
import gc
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO
from tooling.checks.cli import CommandParser

SCANNED = ("networking", "data", "application", "observability", "shared")
SETTINGS_MODULES = ("settings.py", "config.py")
VALIDATOR_DECORATORS = {"field_validator", "model_validator", "validator", "root_validator"}
ENVIRONMENT_NAMES = {"environment", "env", "environment_name", "env_name", "stack", "stack_name", "environment_suffix"}
STACK_FUNCTIONS = {"get_stack"}
STRING_TESTS = {"startswith", "endswith", "__eq__", "__contains__"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.why}: `{self.code}`"


def _is_environment(node: ast.expr) -> bool:
    """An expression that holds the environment or stack name."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in STACK_FUNCTIONS
    if isinstance(node, ast.Attribute):
        return node.attr in ENVIRONMENT_NAMES
    if isinstance(node, ast.Name):
        return node.id in ENVIRONMENT_NAMES
    return False


def _decorator_name(decorator: ast.expr) -> str:
    """`field_validator` for `@field_validator(...)`, `@pydantic.field_validator(...)` and the bare form."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _literals(node: ast.expr) -> list[object]:
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for element in node.elts for v in _literals(element)]
    return []


def _names_an_environment(node: ast.expr) -> bool:
    return any(value in ENVIRONMENTS for value in _literals(node))


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, source: str, settings: bool) -> None:
        self.path, self.source, self.settings = path, source, settings
        self.findings: list[Finding] = []
        self._validators = 0

    def _report(self, node: ast.AST, why: str) -> None:
        if self.settings and self._validators:
            return
        code = ast.get_source_segment(self.source, node) or ast.dump(node)
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), code.splitlines()[0], why))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        decorators = {_decorator_name(d) for d in node.decorator_list}
        validator = bool(decorators & VALIDATOR_DECORATORS) or node.name.endswith("_problems")
        self._validators += validator
        self.generic_visit(node)
        self._validators -= validator

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        environment = any(_is_environment(o) for o in operands)
        literal = any(_literals(o) and not _is_environment(o) for o in operands)
        if (environment and literal) or any(_names_an_environment(o) for o in operands):
            self._report(node, "compares the environment or stack name with a literal")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in STRING_TESTS and _is_environment(func.value) and any(_literals(a) for a in node.args):
                self._report(node, "tests the environment or stack name against a literal")
            if func.attr == "get" and node.args and _is_environment(node.args[0]):
                self._report(node, "looks a value up by the environment or stack name")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load) and _is_environment(node.slice):
            self._report(node, "looks a value up by the environment or stack name")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(key is not None and _names_an_environment(key) for key in node.keys):
            self._report(node, "a table keyed by environment names")
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        if _is_environment(node.subject):
            self._report(node, "matches on the environment or stack name")
        self.generic_visit(node)

    def visit_MatchValue(self, node: ast.MatchValue) -> None:
        if _names_an_environment(node.value):
            self._report(node, "a case for one environment")
        self.generic_visit(node)


def check_source(path: str, source: str) -> list[Finding]:
    """Findings in one file; `path` is relative to the repository (it decides whether this is a settings model)."""
    settings = Path(path).name in SETTINGS_MODULES
    visitor = _Visitor(path, source, settings)
    visitor.visit(_parse(source, path))
    return visitor.findings


def _parse(source: str, path: str) -> ast.Module:
    """`ast.parse` with the garbage collector paused: on CPython 3.11.7 a collection whose finalizers run
    while the parser builds its Python objects fails with "AST constructor recursion depth mismatch"."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=path)
    finally:
        if enabled:
            gc.enable()


def python_files(root: Path = REPO) -> Iterator[Path]:
    for package in SCANNED:
        yield from sorted((root / package).rglob("*.py"))


def check(files: Iterable[Path], root: Path = REPO) -> list[Finding]:
    return [f for path in files for f in check_source(str(path.relative_to(root)), path.read_text())]


def main(argv: Sequence[str]) -> int:
    CommandParser(prog="python -m tooling.checks.same_code", description=__doc__).parse_args(argv)
    findings = check(python_files())
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"{len(findings)} place(s) branch on the environment: use a typed stack-config value instead "
            "(declared in the settings model and in shared/variations.py)",
            file=sys.stderr,
        )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

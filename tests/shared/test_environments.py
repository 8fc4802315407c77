"""The environments are declared once, in `shared/environments.py`: everything else follows from there.

Adding an environment to `ENVIRONMENTS` must make every per-environment test run for it, or fail
and say what is missing: a stack file of a project, a row of an expectation table of the tests, a
column of a documentation table. Nothing may quietly cover only the environments it knew about.
"""

import ast
import itertools
import re
from pathlib import Path

import pytest

from shared.environments import ENVIRONMENTS
from shared.stack_files import REPO
from tests.support import EnvironmentTableError, per_environment

# Code that must take its environments from shared/environments.py (the layers and shared/ are held
# by the same-code check, tooling/checks/same_code.py, which also refuses environment-keyed tables).
SCANNED = ("tests", "functions/tests", "tooling")
DOCUMENTS = ("README.md", "*/README.md", "docs/*.md")
TABLE_ROW = re.compile(r"^\|(.+)\|\s*$")
TABLE_RULE = re.compile(r"^\|[\s:|-]+\|\s*$")
COLLECTIONS = ast.Tuple | ast.List | ast.Set


def _python_files() -> list[Path]:
    return sorted(path for directory in SCANNED for path in (REPO / directory).rglob("*.py"))


def _named(node: ast.AST, *, in_rows: bool) -> set[str]:
    """Environment names written as constants in a literal collection, and in the collections in it
    that name nothing but environments (pairs) or, with `in_rows`, in any collection in it (rows)."""
    if not isinstance(node, COLLECTIONS):
        return set()

    def names(elements: list[ast.expr]) -> set[str]:
        return {e.value for e in elements if isinstance(e, ast.Constant) and e.value in ENVIRONMENTS}

    found = names(node.elts)
    for element in node.elts:
        inner = element.elts if isinstance(element, COLLECTIONS) else []
        if in_rows or (inner and len(names(inner)) == len(inner)):
            found |= names(inner)
    return found


def _keyed(node: ast.AST) -> set[str]:
    keys = node.keys if isinstance(node, ast.Dict) else []
    return {k.value for k in keys if isinstance(k, ast.Constant) and k.value in ENVIRONMENTS}


def _parameters(call: ast.Call) -> list[ast.expr]:
    """The values a test is repeated over: `parametrize(names, values)` and `fixture(params=values)`."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name == "parametrize":
        return [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "argvalues")]
    return [k.value for k in call.keywords if k.arg == "params"] if name == "fixture" else []


def _lists_of_environments(source: str, where: str) -> list[str]:
    """`where:line: code` of what writes the environments out instead of reading `ENVIRONMENTS`: a
    literal naming every environment (a list, pairs of them, a table keyed by them that
    `per_environment` does not check), and the hand-picked environments a test is repeated over.

    A literal naming some environments for one scenario (`check(tmp_path, "dev")`, `["staging",
    "prod"]` as a command's arguments) is fine: it does not claim to be the list."""
    tree = ast.parse(source)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    checked = {id(a) for c in calls if isinstance(c.func, ast.Name) and c.func.id == "per_environment" for a in c.args}
    repeated = {id(values) for call in calls for values in _parameters(call)}
    every = set(ENVIRONMENTS)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        table = _keyed(node) == every and id(node) not in checked
        picked = id(node) in repeated and len(_named(node, in_rows=True)) >= 2
        if _named(node, in_rows=False) == every or table or picked:
            code = (ast.get_source_segment(source, node) or "").splitlines()[0]
            found.append((getattr(node, "lineno", 0), f"{where}:{getattr(node, 'lineno', 0)}: {code}"))
    return [finding for _, finding in sorted(set(found))]


def test_the_suite_and_the_tooling_have_one_environment_list():
    found = [
        f for path in _python_files() for f in _lists_of_environments(path.read_text(), str(path.relative_to(REPO)))
    ]
    assert found == [], (
        "environments written out by hand: use shared.environments.ENVIRONMENTS, or per_environment(...) "
        "for a table of expected values per environment:\n" + "\n".join(found)
    )


def test_the_scan_finds_lists_pairs_unchecked_tables_and_hand_picked_parameters():
    every, first, last = ENVIRONMENTS, ENVIRONMENTS[0], ENVIRONMENTS[-1]
    table = "{" + ", ".join(f"{env!r}: 1" for env in every) + "}"
    source = "\n".join(
        [
            f"LISTED = {every!r}",
            f"PAIRS = {list(itertools.pairwise(every))!r}",
            f"TABLE = {table}",
            f"CHECKED = per_environment('x', {table})",
            f"SCENARIO = check({first!r}, [{first!r}, {last!r}])",
            f"@pytest.mark.parametrize('env', [{first!r}, {last!r}])",
            "def test_one(env): pass",
            f"@pytest.fixture(params=[{first!r}, {last!r}])",
            "def plan(request): pass",
        ]
    )
    found = [finding.split(":")[1] for finding in _lists_of_environments(source, "example.py")]
    assert found == ["1", "2", "3", "6", "8"]


def test_an_expectation_table_without_a_row_per_environment_is_refused_by_name():
    complete = {env: index for index, env in enumerate(ENVIRONMENTS)}
    assert list(per_environment("complete", dict(reversed(complete.items())))) == list(ENVIRONMENTS)
    missing = {env: index for env, index in complete.items() if env != ENVIRONMENTS[-1]}
    with pytest.raises(EnvironmentTableError, match=rf"^tests/x.py SIZES: no row for {ENVIRONMENTS[-1]};"):
        per_environment("tests/x.py SIZES", missing)
    with pytest.raises(EnvironmentTableError, match=r"a row for unknown 'nope'"):
        per_environment("tests/x.py SIZES", {**complete, "nope": 9})


def _environment_columns() -> dict[str, list[str]]:
    """`file:line` -> the environment-named columns of every Markdown table that has any."""
    tables = {}
    for pattern in DOCUMENTS:
        for path in sorted(REPO.glob(pattern)):
            lines = path.read_text().splitlines()
            for number, (line, below) in enumerate(itertools.pairwise(lines), start=1):
                header = TABLE_ROW.match(line) if TABLE_RULE.match(below) else None
                cells = [cell.strip().strip("`") for cell in header.group(1).split("|")] if header else []
                columns = [cell for cell in cells if cell in ENVIRONMENTS]
                if columns:
                    tables[f"{path.relative_to(REPO)}:{number}"] = columns
    return tables


def test_every_documentation_table_of_environments_has_a_column_per_environment():
    tables = _environment_columns()
    assert len(tables) >= 5, "the generated configuration tables and docs/design.md's decisions are read"
    wrong = {where: columns for where, columns in tables.items() if columns != list(ENVIRONMENTS)}
    assert wrong == {}, f"tables whose environment columns are not {list(ENVIRONMENTS)}: {wrong}"

"""The documentation points at things that exist and counts what is there.

Every repository path README.md, the layer READMEs and docs/*.md mention (in backticks or as a
link) must exist, the README's policy counts must be the pack's, and the recipe for a new policy
must name every module of the pack.
"""

import re
from pathlib import Path

import pytest

import policy
from policy import ALL_POLICIES
from shared.stack_files import REPO

DOCUMENTS = sorted([REPO / "README.md", *REPO.glob("*/README.md"), *REPO.glob("docs/*.md")])
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Written by the tools, never committed: a path under them is an example of output.
GENERATED = ("build/", ".venv", ".pulumi-state/")
# Placeholders and patterns, not paths: <layer>, {dev,staging,prod}, Pulumi.*.yaml, $HOME.
TEMPLATE = re.compile(r"[<>{}*$ ]")


def _top_level() -> set[str]:
    return {path.name for path in REPO.iterdir() if not path.name.startswith(".")}


def _looks_like_a_path(candidate: str) -> bool:
    """`shared/config.py`, `tooling/stacks/`, `tests/tooling/fake_bin/pulumi`; not `application/json`."""
    segments = candidate.rstrip("/").split("/")
    return (
        len(segments) > 1
        and segments[0] in _top_level()
        and ("." in segments[-1] or candidate.endswith("/") or len(segments) > 2)
        and not TEMPLATE.search(candidate)
    )


def _mentioned_paths(document: Path) -> list[tuple[str, list[Path]]]:
    """(as written, where it may point) of every repository path the document mentions: code spans
    from the repository root or the document's directory (a layer README names its own files), links
    from the document's directory."""
    text = document.read_text()
    found = []
    for written in CODE_SPAN.findall(text):
        candidate = written.split("#")[0].rstrip(":.,")
        if _looks_like_a_path(candidate) and not candidate.startswith(GENERATED):
            found.append((written, [REPO / candidate, document.parent / candidate]))
    for target in LINK.findall(text):
        candidate = target.split("#")[0]
        if candidate and "://" not in candidate and not candidate.startswith("mailto:"):
            found.append((target, [(document.parent / candidate).resolve()]))
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_path_the_documentation_mentions_exists(document: Path):
    mentioned = _mentioned_paths(document)
    missing = sorted({written for written, places in mentioned if not any(place.exists() for place in places)})
    assert missing == [], f"{document.relative_to(REPO)} mentions paths that do not exist: {missing}"


def test_the_path_check_reads_code_spans_and_links():
    mentioned = {written for document in DOCUMENTS for written, _ in _mentioned_paths(document)}
    assert {"shared/variations.py", "tests/policy/cases.py", "docs/policies.md", "tooling/stacks/"} <= mentioned
    assert "application/json" not in mentioned
    assert not any(TEMPLATE.search(written.split("#")[0]) for written in mentioned if "://" not in written)


def test_the_readme_counts_the_policies_of_the_pack():
    counts = re.findall(r"(\d+) (?:mandatory CrossGuard )?policies", (REPO / "README.md").read_text())
    assert counts, "README.md states how many policies the pack has"
    assert {int(count) for count in counts} == {len(ALL_POLICIES)}


def test_the_recipe_for_a_new_policy_names_every_module_of_the_pack():
    recipe = (REPO / "docs" / "policies.md").read_text().split("## Adding a policy", 1)[1]
    modules = [
        path.stem
        for path in sorted(Path(policy.__file__).parent.glob("*.py"))
        if re.search(r"^POLICIES\b", path.read_text(), re.MULTILINE)
    ]
    assert len(modules) > 5
    assert [module for module in modules if f"`{module}`" not in recipe] == []

"""A review as one pull-request comment (`review.md`) and as a table in the terminal.

The comment's first line is the verdict and what to act on; a summary table has one row per
environment; then one collapsible section per environment. Long tables and values are cut to keep
the comment under GitHub's size limit (the JSON has everything).
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tooling.review.diff import PropertyChange, ResourceChange
from tooling.review.report import EnvironmentReview, Review

COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
ROW_LIMITS = (40, 15, 5, 0)
VALUE_LIMIT = 70
TERMINAL_LINES = 25  # changed properties printed per environment
REPLACEMENT_WORDS = {True: "**replaces**", False: "in place", None: "unknown offline"}


def _text(value: Any, limit: int = VALUE_LIMIT) -> str:
    text = "(absent)" if value is None else value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _cell(value: Any) -> str:
    """A value in a Markdown table cell: code, pipes escaped, one line."""
    text = _text(value).replace("|", "\\|").replace("\n", " ").replace("`", "'")
    return f"`{text}`"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], limit: int) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n_… and {len(rows) - limit} more row(s) in review.json_")
    return [*lines, ""]


def _sha(value: str) -> str:
    return f"`{value[:12]}`" if value else "(none)"


def _artifact(env: EnvironmentReview) -> str:
    if env.artifact is None:
        return "-"
    if not env.artifact.changed:
        return f"unchanged {_sha(env.artifact.after)}"
    return f"{_sha(env.artifact.before)} → {_sha(env.artifact.after)}"


def _money(value: float) -> str:
    return f"{value:+,.2f}"


def _new_findings(env: EnvironmentReview) -> int:
    return sum(len(d.new) for d in env.findings.values())


def _broadening(env: EnvironmentReview) -> str:
    count = len(env.broadening.items) if env.broadening else 0
    return f"**{count} broaden**" if count else "-"


def _summary_rows(review: Review) -> list[list[str]]:
    rows = []
    for env in review.environments:
        if env.error:
            rows.append([f"**{env.environment}**", f"not reviewed: {env.error}", "", "", "", ""])
            continue
        cost = _money(env.cost.difference) if env.cost and env.cost.difference else "-"
        new = _new_findings(env)
        rows.append(
            [f"**{env.environment}**", env.summary(), _broadening(env), cost, str(new) if new else "-", _artifact(env)]
        )
    return rows


def _resource_rows(changes: Sequence[ResourceChange]) -> list[list[str]]:
    rows = []
    for change in changes:
        protected = " (protected)" if change.protected else ""
        what = f"{change.action}{protected}"
        renamed = f" (alias of `{change.renamed_from.rsplit('::', 1)[-1]}`)" if change.renamed_from else ""
        head = [what, change.layer, f"`{change.name}`{renamed}", f"`{change.type}`"]
        if change.action != "update" or not change.changes:  # created, deleted, or renamed with an alias only
            rows.append([*head, "", "", "", ""])
            continue
        for prop in change.changes:
            rows.append([*head, f"`{prop.path}`", _cell(prop.before), _cell(prop.after), _replacement(prop)])
            head = ["", "", "", ""]
    return rows


def _replacement(prop: PropertyChange) -> str:
    return REPLACEMENT_WORDS[prop.forces_replacement]


def _environment(env: EnvironmentReview, rows: int) -> list[str]:
    attention = f"; **{len(env.attention)} need(s) a human**" if env.attention else ""
    cost = f"; {_money(env.cost.difference)} USD/month" if env.cost and env.cost.difference else ""
    lines = [f"<details><summary><b>{env.environment}</b>: {env.summary()}{cost}{attention}</summary>", ""]
    if env.error:
        return [*lines, f"Not reviewed: {env.error}", "", "</details>", ""]
    lines += [f"- {reason}" for reason in env.attention] + ([""] if env.attention else [])
    if env.config:
        lines += ["**Stack config**", ""]
        lines += _table(
            ["key", "base", "head"], [[f"`{c.key}`", _cell(c.before), _cell(c.after)] for c in env.config], rows
        )
    if env.diff and env.diff.resources:
        lines += ["**Resources**", ""]
        header = ["", "layer", "resource", "type", "property", "base", "head", "replacement"]
        lines += _table(header, _resource_rows(env.diff.resources), rows)
    if env.diff and env.diff.renames:
        lines += ["**Renamed without an alias: deleted and created again**", ""]
        renames = [
            [r.layer, f"`{r.before.rsplit('::', 1)[-1]}`", f"`{r.after.rsplit('::', 1)[-1]}`", f"`{r.type}`",
             "yes" if r.protected else "no"]
            for r in env.diff.renames
        ]  # fmt: skip
        lines += _table(["layer", "base name", "head name", "type", "protected"], renames, rows)
    if env.broadening and env.broadening.items:
        lines += ["**Permission broadening** (base → head)", ""]
        grants = [
            [i.layer, f"`{i.owner.rsplit('::', 1)[-1]}`", i.category, _cell(i.grant), ", ".join(i.reasons)]
            for i in env.broadening.items
        ]
        lines += _table(["layer", "owner", "category", "grant", "why"], grants, rows)
    if env.cost:
        lines += [
            f"**Cost**: {env.cost.before:,.2f} → {env.cost.after:,.2f} USD/month ({_money(env.cost.difference)})",
            "",
        ]
        if env.cost.lines:
            cost_rows = [[c.item, f"{c.before:,.2f}", f"{c.after:,.2f}", _money(c.difference)] for c in env.cost.lines]
            lines += _table(["item", "base", "head", "difference"], cost_rows, rows)
    counts = ", ".join(f"{check} {d.before} → {d.after}" for check, d in env.findings.items())
    lines += [f"**Findings** (the head's rules over both plans): {counts}", ""]
    for check, delta in env.findings.items():
        lines += [f"- new {check}: {_text(f, 200)}" for f in delta.new[:rows]]
        lines += [f"- resolved {check}: {_text(f, 200)}" for f in delta.resolved[:rows]]
    lines += [f"**Lambda artifact** sha256: {_artifact(env)}", "", "</details>", ""]
    return lines


def markdown(review: Review) -> str:
    """The comment, cut until it fits GitHub's limit."""
    for rows in ROW_LIMITS:
        text = _markdown(review, rows)
        if len(text) <= COMMENT_LIMIT:
            return text
    return text[: COMMENT_LIMIT - 40] + "\n\n_… cut: see review.json_\n"


def _markdown(review: Review, rows: int) -> str:
    base, head = review.base, review.head
    head_ref = f"`{head.commit[:12]}`" + (" + uncommitted changes" if head.dirty else "")
    lines = [
        f"**make review: {review.headline}**",
        "",
        f"Base `{base.ref}` `{base.commit[:12]}` → head {head_ref}. Replacements: {review.replacement_source}.",
        "",
    ]
    if review.package_files_changed:
        lines += [
            f"> {', '.join(review.package_files_changed)} differ from the base: the base was planned with the "
            "head's packages.",
            "",
        ]
    header = ["environment", "resources", "permissions", "cost USD/month", "new findings", "Lambda artifact"]
    lines += _table(header, _summary_rows(review), len(review.environments))
    parity = ", ".join(f"{p.left}/{p.right} {p.undeclared_before} → {p.undeclared_after}" for p in review.parity)
    lines += [f"**Parity**, undeclared differences base → head: {parity or 'not compared'}.", ""]
    for delta in review.parity:
        lines += [f"- **new undeclared** {delta.left}/{delta.right}: `{i.name}` `{i.path}`" for i in delta.new]
    lines += [f"- **failure**: {failure}" for failure in review.failures]
    lines.append("")
    for env in review.environments:
        lines += _environment(env, rows)
    return "\n".join(lines).rstrip() + "\n"


def terminal(review: Review, out: Console) -> None:
    table = Table(title=f"make review: {escape(review.headline)}", title_justify="left")
    columns: list[tuple[str, Callable[[EnvironmentReview], str]]] = [
        ("environment", lambda e: e.environment),
        ("resources", lambda e: e.error or e.summary()),
        ("config keys", lambda e: str(len(e.config)) if e.config else "-"),
        ("broadening", lambda e: _broadening(e).strip("*")),
        ("cost USD/month", lambda e: _money(e.cost.difference) if e.cost and e.cost.difference else "-"),
        ("new findings", lambda e: str(_new_findings(e)) if _new_findings(e) else "-"),
        ("artifact", lambda e: _artifact(e).replace("`", "")),
        ("needs a human", lambda e: str(len(e.attention)) if e.attention else "-"),
    ]
    for name, _ in columns:
        table.add_column(name, overflow="fold")
    for env in review.environments:
        table.add_row(*(escape(cell(env)) for _, cell in columns), style="yellow" if env.attention else "")
    out.print(table)
    for env in review.environments:
        lines = []
        for change in env.diff.resources if env.diff else []:
            what = f"{env.environment}: {change.action} {change.name}"
            props = [f" {p.path}: {_text(p.before)} -> {_text(p.after)}" for p in change.changes]
            lines += [what + prop for prop in props or [""]]
        for line in lines[:TERMINAL_LINES]:
            out.print(escape(line), soft_wrap=True)
        if len(lines) > TERMINAL_LINES:
            out.print(f"{env.environment}: ... and {len(lines) - TERMINAL_LINES} more in review.md", soft_wrap=True)
    for reason in [*review.failures, *review.attention]:
        out.print(f"- {escape(reason)}", soft_wrap=True)

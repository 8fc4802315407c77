"""`make graph`: a picture of what an environment's offline plan declares, as an SVG drawn by Graphviz.

    python -m tooling.graph [ENV ...]                   build/graph/<env>.svg for each (all when none)
    python -m tooling.graph --left L --right R          build/graph/<L>-vs-<R>.svg, what differs coloured
                                                        (L and R: environments or plan files)

One box per layer in deploy order; inside it one box per component (`payments:<layer>:<Type>`), nested
as the components are, holding their resources: the VPC and its subnets, the functions, the queues...
Arrows go from what a resource uses to the resource: its dependencies in the plan, and the
StackReference reads, drawn from the lower layer's outputs with the keys read (`shared/contracts.py`).
Providers and stacks are left out; every resource and stack reference of the plan is drawn.

With two sides, the right one is drawn with the left one's resources it lacks, coloured by the
environment comparator (`tooling.checks.compare`, the one `make compare` and `make parity` use): green
added, red removed, amber changed where a stack-config key declares it, red-bordered changed where none
does (UNDECLARED). Each node's tooltip lists its differing properties.
"""

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from shared.contracts import CONTRACTS, DEPLOY_ORDER
from shared.environments import ENVIRONMENTS
from shared.projects import layer_of_project
from shared.stack_files import REPO
from tooling.checks.cli import FAILED, environments_parser, errors, plan_or_report
from tooling.checks.compare import Normalizer, Side, compare, declared_config
from tooling.checks.report import Item
from tooling.plan import PLAN_DIR
from tooling.plan.counts import STACK, STACK_REFERENCE, is_resource

GRAPH_DIR = PLAN_DIR.parent / "graph"
ADDED, REMOVED, DECLARED, UNDECLARED = "added", "removed", "declared", "undeclared"
FILL = {ADDED: "#c8f0c8", REMOVED: "#f6c6c6", DECLARED: "#fde7b0", UNDECLARED: "#f6c6c6"}
LEGEND = {
    ADDED: "only on the right",
    REMOVED: "only on the left",
    DECLARED: "differs, declared by a stack-config key",
    UNDECLARED: "differs, declared by nothing",
}


@dataclass
class Node:
    """One record of the plan as drawn: keyed by its URN without the stack (the same in every environment)."""

    key: str
    layer: str
    name: str
    type: str
    parent: str | None
    custom: bool
    reads: str | None = None  # a StackReference: the stack it reads
    status: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.reads is not None:
            return f"StackReference\n{self.reads}"
        module = self.type.split(":")[1] if self.type.count(":") == 2 else self.type
        return f"{self.name}\n{module}"


def nodes_of(side: Side) -> tuple[dict[str, Node], set[tuple[str, str]]]:
    """The plan's records (providers and stacks aside) as nodes, and its dependencies as (used, user) edges."""
    keys = Normalizer(side.snapshot, declared_config(side.env))
    nodes: dict[str, Node] = {}
    edges: set[tuple[str, str]] = set()
    for layer in side.snapshot["layers"]:
        for record in layer["resources"]:
            if record["type"] == STACK or record["type"].startswith("pulumi:providers:"):
                continue
            parent = record.get("parent")
            key = keys.key(record["urn"])
            reads = str(record["inputs"].get("name")) if record["type"] == STACK_REFERENCE else None
            name = record["urn"].rsplit("::", 1)[-1]
            custom = is_resource(record) or reads is not None
            parent_key = keys.key(parent) if parent else None
            nodes[key] = Node(key, layer["name"], name, record["type"], parent_key, custom, reads)
            edges |= {(keys.key(used), key) for used in record["dependencies"]}
    edges = {(used, user) for used, user in edges if used in nodes}
    for node in nodes.values():
        if node.parent not in nodes:
            node.parent = None  # the layer's stack: the node sits in the layer's box
    return nodes, edges


def mark(nodes: dict[str, Node], left_nodes: Mapping[str, Node], items: Sequence[Item]) -> None:
    """Colour the right side's nodes by the comparator's items; add the left side's missing ones (in their
    component when the right side has it, or it is missing too)."""
    removed = [i.resource for i in items if i.path is None and not i.right_value and i.resource in left_nodes]
    for key in removed:
        nodes[key] = Node(**{**left_nodes[key].__dict__, "notes": []})
    for key in removed:
        if nodes[key].parent not in nodes:
            nodes[key].parent = None
    for item in items:
        node = nodes.get(item.resource)
        if node is None:
            continue
        status = ADDED if item.path is None and item.right_value else REMOVED if item.path is None else None
        status = status or (DECLARED if item.declared else UNDECLARED)
        if node.status not in (ADDED, REMOVED, UNDECLARED):
            node.status = status
        verdict = ", ".join(item.declared_by) or "UNDECLARED"
        node.notes.append(f"{item.path or '(resource)'}: {verdict}")


def _ids(nodes: Mapping[str, Node]) -> dict[str, str]:
    """Short, stable node ids (Graphviz ids; the labels carry the names)."""
    return {key: f"n{index}" for index, key in enumerate(sorted(nodes))}


def draw(nodes: Mapping[str, Node], edges: set[tuple[str, str]], title: str) -> graphviz.Digraph:
    ids = _ids(nodes)
    graph = graphviz.Digraph(name=title, graph_attr={
        "rankdir": "LR", "label": title, "labelloc": "t", "fontname": "Helvetica", "compound": "true",
        "newrank": "true", "nodesep": "0.15", "ranksep": "0.6",
    }, node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "white", "fontname": "Helvetica",
                  "fontsize": "10"}, edge_attr={"color": "#7a7a7a", "arrowsize": "0.5"})  # fmt: skip
    children: dict[str | None, list[Node]] = {}
    for node in sorted(nodes.values(), key=lambda n: n.key):
        children.setdefault(node.parent, []).append(node)

    def fill(box: graphviz.Digraph, parent: str | None, layer: str) -> None:
        for node in children.get(parent, []):
            if node.layer != layer:
                continue
            if node.custom:
                box.node(ids[node.key], node.label, **_style(node))
                continue
            with box.subgraph(name=f"cluster_{ids[node.key]}") as component:
                component.attr(label=f"{node.name} ({node.type.rsplit(':', 1)[-1]})", style="rounded",
                               color=_border(node), fontsize="11", tooltip=_tooltip(node))  # fmt: skip
                fill(component, node.key, layer)

    layers = [name for name in DEPLOY_ORDER if any(n.layer == name for n in nodes.values())]
    for position, layer in enumerate(layers, start=1):
        with graph.subgraph(name=f"cluster_layer_{layer}") as box:
            box.attr(label=f"{layer} (layer {position})", style="filled", fillcolor="#f4f6fa", color="#9aa5b8",
                     fontsize="14")  # fmt: skip
            box.node(f"outputs_{layer}", f"{layer} outputs\n{len(CONTRACTS[layer].exports)} exports",
                     shape="note", fillcolor="#e8ecf4")  # fmt: skip
            fill(box, None, layer)
    for used, user in sorted(edges):
        graph.edge(ids[used], ids[user])
    # Invisible edges put the layers side by side in deploy order: every resource of a layer before its
    # outputs, and its outputs before the next layer's resources that use nothing else drawn.
    used_by = {user for _, user in edges}
    drawn = sorted((n for n in nodes.values() if n.custom), key=lambda n: n.key)
    for lower, upper in zip(layers, [*layers[1:], None], strict=True):
        for node in drawn:
            if node.layer == lower:
                graph.edge(ids[node.key], f"outputs_{lower}", style="invis", weight="0")
            elif node.layer == upper and node.key not in used_by:
                graph.edge(f"outputs_{lower}", ids[node.key], style="invis", weight="0")
    for node in sorted(nodes.values(), key=lambda n: n.key):
        upstream = _upstream_layer(node)
        if upstream in layers:
            keys = CONTRACTS[node.layer].reads.get(upstream, ())
            graph.edge(f"outputs_{upstream}", ids[node.key], label=f"reads {len(keys)}", tooltip=", ".join(keys),
                       color="#3b6bb3", fontsize="9", penwidth="1.5")  # fmt: skip
    if any(n.status for n in nodes.values()):
        with graph.subgraph(name="cluster_legend") as legend:
            legend.attr(label="legend", style="rounded")
            for status, meaning in LEGEND.items():
                legend.node(f"legend_{status}", meaning, fillcolor=FILL[status], color=_border_of(status))
    return graph


def _upstream_layer(node: Node) -> str | None:
    """The layer a StackReference reads (`<org>/<project>/<stack>`), when it is a layer of this plan."""
    if node.reads is None:
        return None
    project = node.reads.split("/")[-2] if node.reads.count("/") == 2 else ""
    layer = layer_of_project(project)
    return layer if layer in DEPLOY_ORDER else None


def _border_of(status: str | None) -> str:
    return "#c0392b" if status in (UNDECLARED, REMOVED) else "#555555"


def _border(node: Node) -> str:
    return _border_of(node.status) if node.status else "#9aa5b8"


def _tooltip(node: Node) -> str:
    return "\n".join([f"{node.type} {node.name}", *node.notes])


def _style(node: Node) -> dict[str, str]:
    style = {"tooltip": _tooltip(node), "color": _border(node)}
    if node.reads is not None:
        style |= {"shape": "cds", "fillcolor": "#dbe6f7"}
    if node.status:
        style |= {"fillcolor": FILL[node.status], "penwidth": "2" if node.status == UNDECLARED else "1"}
    if node.status == REMOVED:
        style["style"] = "rounded,filled,dashed"
    return style


def write_svg(graph: graphviz.Digraph, name: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.svg"
    path.write_bytes(graph.pipe(format="svg"))
    return path


def side(name: str) -> Side | None:
    """An environment (planned now) or a plan file (`make plan` output, e.g. from an earlier commit)."""
    if name in ENVIRONMENTS:
        plan = plan_or_report(name)
        return None if plan is None else Side(name, "plan", plan)
    path = Path(name)
    try:
        plan = json.loads(path.read_text())
        return Side(str(plan["environment"]), "plan", plan)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        errors().print(
            f"make graph: {name} is neither an environment ({', '.join(ENVIRONMENTS)}) nor a plan file: {exc}"
        )
        return None


def main(argv: Sequence[str]) -> int:
    try:
        return _main(argv)
    except graphviz.ExecutableNotFound:
        errors().print(
            "make graph: Graphviz's dot is not on PATH: install the graphviz package (make setup does on Debian; "
            "macOS: brew install graphviz; RHEL: dnf install graphviz) and run it again"
        )
        return FAILED


def _main(argv: Sequence[str]) -> int:
    parser = environments_parser("make graph", __doc__ or "")
    parser.add_argument("--left", help="an environment or a plan file: the side drawn as removed where it differs")
    parser.add_argument("--right", help="an environment or a plan file: the side drawn")
    parser.add_argument(
        "--out", type=Path, default=GRAPH_DIR, help=f"directory of the SVGs (default {GRAPH_DIR.relative_to(REPO)})"
    )
    args = parser.parse_args(argv)
    if (args.left is None) != (args.right is None) or (args.left and args.environments):
        parser.error("give ENV ..., or both --left and --right")
    if args.left:
        return _compared(args.left, args.right, args.out)
    for env in args.environments or ENVIRONMENTS:
        planned = side(env)
        if planned is None:
            return FAILED
        nodes, edges = nodes_of(planned)
        print(f"wrote {_shown(write_svg(draw(nodes, edges, f'{env}: offline plan'), env, args.out))}")
    return 0


def _compared(left_name: str, right_name: str, out: Path) -> int:
    left = side(left_name)
    right = side(right_name) if left else None
    if left is None or right is None:
        return FAILED
    nodes, edges = nodes_of(right)
    left_nodes, left_edges = nodes_of(left)
    items = compare(left, right)
    mark(nodes, left_nodes, items)
    edges |= {(used, user) for used, user in left_edges if used in nodes and user in nodes}
    title = f"{left.env} vs {right.env}: {len(items)} differences, {sum(not i.declared for i in items)} undeclared"
    name = f"{Path(left_name).stem}-vs-{Path(right_name).stem}"
    print(f"wrote {_shown(write_svg(draw(nodes, edges, title), name, out))}")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

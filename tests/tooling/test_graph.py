"""`make graph`: the SVG of an environment names its layers, components and resources, and draws the payment
path; two sides colour what differs, by the same comparator as `make compare`."""

import copy
import itertools
import json
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from tests.support import layer_of, planned
from tooling import graph

SVG = "{http://www.w3.org/2000/svg}"


class Picture:
    """What an SVG written by Graphviz shows: node id -> its text lines, cluster texts, edges, fills."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()  # noqa: S314 (an SVG this test had Graphviz write)
        self.nodes: dict[str, list[str]] = {}
        self.fills: dict[str, str] = {}
        self.clusters: list[str] = []
        self.edges: set[tuple[str, str]] = set()
        self.edge_labels: dict[tuple[str, str], list[str]] = {}
        for group in root.iter(f"{SVG}g"):
            title = group.findtext(f"{SVG}title") or ""
            texts = [t.text or "" for t in group.iter(f"{SVG}text")]
            if group.get("class") == "node":
                self.nodes[title] = texts
                shape = next((s for s in group.iter() if s.tag in (f"{SVG}polygon", f"{SVG}path")), None)
                self.fills[title] = shape.get("fill", "") if shape is not None else ""
            elif group.get("class") == "cluster":
                self.clusters += texts
            elif group.get("class") == "edge":
                used, user = title.split("->")
                self.edges.add((used, user))
                self.edge_labels[(used, user)] = texts

    def find(self, name: str, kind: str) -> str:
        (found,) = [node for node, texts in self.nodes.items() if texts == [name, kind]]
        return found

    def connected(self, start: str, goal: str, through: list[str]) -> bool:
        """Whether an undirected path from start to goal visits `through` in order, one edge each."""
        path = [start, *through, goal]
        neighbours: dict[str, set[str]] = {a: set() for a in self.nodes}
        for a, b in self.edges:
            neighbours[a].add(b)
            neighbours[b].add(a)
        return all(b in neighbours[a] for a, b in itertools.pairwise(path))

    def reachable(self, start: str) -> set[str]:
        seen, queue = {start}, deque([start])
        while queue:
            for used, user in self.edges:
                if used == queue[0] and user not in seen:
                    seen.add(user)
                    queue.append(user)
            queue.popleft()
        return seen


@pytest.fixture(scope="module")
def dev_picture(tmp_path_factory: pytest.TempPathFactory) -> Picture:
    out = tmp_path_factory.mktemp("graph")
    nodes, edges = graph.nodes_of(graph.Side("dev", "plan", planned("dev")))
    return Picture(graph.write_svg(graph.draw(nodes, edges, "dev: offline plan"), "dev", out))


def test_every_layer_and_component_is_a_box(dev_picture):
    for position, layer in enumerate(("networking", "data", "application", "observability"), start=1):
        assert f"{layer} (layer {position})" in dev_picture.clusters
    for component in ("network (Vpc)", "queues (Queues)", "process-payment (PaymentFunction)", "api (PaymentApi)"):
        assert component in dev_picture.clusters


def test_every_resource_and_stack_reference_is_drawn(dev_picture):
    plan = planned("dev")
    expected = sum(
        1
        for layer in plan["layers"]
        for r in layer["resources"]
        if r["custom"] and not r["type"].startswith("pulumi:providers:")
    )
    drawn = [n for n in dev_picture.nodes if n.startswith("n")]
    assert len(drawn) == expected
    (vpc,) = [n for n, texts in dev_picture.nodes.items() if texts[1:] == ["ec2/vpc"]]
    subnets = [n for n, texts in dev_picture.nodes.items() if texts[1:] == ["ec2/subnet"]]
    assert len(subnets) == 2 * 2  # dev: two AZs, a public and a private subnet each
    assert all((vpc, subnet) in dev_picture.edges for subnet in subnets)


def test_the_payment_path_is_drawn(dev_picture):
    """API -> process-payment -> payment queue -> its trigger -> settlement worker -> notifications."""
    find = dev_picture.find
    api = find("api-process-payment-post-integration", "apigateway/integration")
    worker = find("settlement-worker-function", "lambda/function")
    through = [
        find("process-payment-function", "lambda/function"),
        find("queues-payment", "sqs/queue"),
        find("settlement-worker-queue-trigger", "lambda/eventSourceMapping"),
    ]
    assert dev_picture.connected(api, worker, through)
    assert dev_picture.connected(worker, find("notifications-topic", "sns/topic"), [])


def test_stack_reference_reads_come_from_the_lower_layers_outputs(dev_picture):
    reads = {edge: texts for edge, texts in dev_picture.edge_labels.items() if edge[0].startswith("outputs_")}
    assert {edge[0] for edge in reads} == {"outputs_networking", "outputs_data", "outputs_application"}
    for (_, reference), label in reads.items():
        assert dev_picture.nodes[reference][0] == "StackReference" and label[0].startswith("reads ")
    # the networking layer's subnets and security groups reach the payment functions through a read
    function = dev_picture.find("process-payment-function", "lambda/function")
    assert function in dev_picture.reachable("outputs_networking")


def write(path: Path, plan: dict[str, Any]) -> str:
    path.write_text(json.dumps(plan))
    return str(path)


def test_two_sides_colour_what_differs(tmp_path, capsys):
    staging = copy.deepcopy(planned("staging"))
    vpc = next(r for r in layer_of(staging, "networking")["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    vpc["inputs"]["enableDnsHostnames"] = False  # a difference no stack-config key declares
    left, right = write(tmp_path / "dev.json", planned("dev")), write(tmp_path / "staging.json", staging)

    assert graph.main(["--left", left, "--right", right, "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("dev-vs-staging.svg")
    picture = Picture(tmp_path / "dev-vs-staging.svg")
    fill = {texts[0]: picture.fills[node] for node, texts in picture.nodes.items()}
    assert fill["network-vpc"] == graph.FILL[graph.UNDECLARED]
    assert fill["network-nat-0"] == graph.FILL[graph.ADDED]  # staging: one NAT gateway per AZ, dev none
    assert fill["certificate-generated"] == graph.FILL[graph.REMOVED]  # dev's generated certificate
    assert fill["alb-lb"] == graph.FILL[graph.DECLARED]  # subnets: networking:availabilityZones
    assert fill["network-igw"] == "white"
    assert "legend" in picture.clusters


def test_without_graphviz_one_line_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    plan = write(tmp_path / "dev.json", planned("dev"))
    assert graph.main(["--left", plan, "--right", plan, "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Graphviz's dot is not on PATH: install the graphviz package" in err


def test_a_side_that_is_neither_an_environment_nor_a_plan_file_is_one_line(tmp_path, capsys):
    assert graph.main(["--left", "qa", "--right", "dev", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "make graph: qa is neither an environment" in err

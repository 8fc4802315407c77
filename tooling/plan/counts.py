"""What a plan declares, counted one way by every command that states a count.

Each record of a plan is one of five kinds:

- a resource: a custom resource a provider creates and manages (`aws:`, `random:`, `tls:`), what
  `pulumi up` creates;
- a provider: the explicit AWS provider of each layer (`pulumi:providers:aws`);
- a stack reference: a read of a lower layer's outputs (`pulumi:pulumi:StackReference`);
- a component: a `payments:<layer>:<Type>` ComponentResource grouping resources;
- a stack: a layer's root (`pulumi:pulumi:Stack`).

`make plan` prints every kind; `make policy`, `make scan`, `make cost` and the type check say in the
same words which of them they looked at. Pulumi's own "N to create" counts all five.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROVIDER = "pulumi:providers:"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
STACK = "pulumi:pulumi:Stack"


def is_resource(record: Mapping[str, Any]) -> bool:
    """A custom resource a provider manages: neither a provider, a stack reference nor a component."""
    return bool(record["custom"]) and not record["type"].startswith("pulumi:")


@dataclass(frozen=True)
class PlanCount:
    by_package: Mapping[str, int]  # resources per provider package (aws, random, tls)
    providers: int
    stack_references: int
    components: int
    stacks: int

    @property
    def resources(self) -> int:
        return sum(self.by_package.values())

    @property
    def everything(self) -> int:
        """What Pulumi's own summary counts: every kind."""
        return self.resources + self.providers + self.stack_references + self.components + self.stacks

    def resources_text(self) -> str:
        """`235 resources (aws 231, random 2, tls 2)`."""
        packages = ", ".join(f"{package} {n}" for package, n in sorted(self.by_package.items()))
        return f"{self.resources} resources ({packages})"

    def describe(self) -> str:
        return (
            f"{self.resources_text()}, besides {self.providers} providers, {self.stack_references} stack "
            f"references, {self.components} components and {self.stacks} stacks ({self.everything} in Pulumi's "
            "own count)"
        )


def count(plan: Mapping[str, Any]) -> PlanCount:
    """The counts of a plan (`{"layers": [...]}`) or of one of its layers (`{"resources": [...]}`)."""
    layers = plan.get("layers", [plan])
    records = [record for layer in layers for record in layer["resources"]]
    types = Counter(record["type"] for record in records)
    return PlanCount(
        by_package=dict(Counter(r["type"].split(":", 1)[0] for r in records if is_resource(r))),
        providers=sum(n for t, n in types.items() if t.startswith(PROVIDER)),
        stack_references=types[STACK_REFERENCE],
        components=sum(1 for r in records if not r["custom"] and r["type"] != STACK),
        stacks=types[STACK],
    )

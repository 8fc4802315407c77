"""Pulumi project names: the platform's name, then the layer's (`payments-networking`, ...).

A project name is part of every stack's fully qualified name (`<org>/<project>/<stack>`) and of every
URN, so names that carry the platform keep two platforms' layers apart in one Pulumi Cloud
organization. Each project directory's `Pulumi.yaml` declares the same name (a test holds them
together). The config namespaces stay the layers' own (`networking:vpcCidr`): programs read them by
that explicit namespace, never by the project name.
"""

PLATFORM = "payments"


def project_name(layer: str) -> str:
    """The Pulumi project of a layer directory (or of `accounts`, or of the promotion record stack)."""
    return f"{PLATFORM}-{layer}"


def qualified_stack_name(org: str, layer: str, stack: str) -> str:
    """`<org>/<project>/<stack>`: what StackReferences read and the CLI selects."""
    return f"{org}/{project_name(layer)}/{stack}"


def layer_of_project(project: str) -> str | None:
    """`payments-networking` -> `networking`; None for a project of another platform."""
    prefix = f"{PLATFORM}-"
    return project.removeprefix(prefix) if project.startswith(prefix) else None

"""Errors that Pulumi prints as one clear message, without a Python traceback."""

import pulumi


class PlatformConfigError(pulumi.RunError):
    """Stack configuration is invalid; raised before any resource is declared."""


class ContractError(pulumi.RunError):
    """A layer read or exported something its documented contract does not allow."""


class NameLimitError(pulumi.RunError):
    """A generated resource name breaks its AWS service's length or character rules."""


class StackFileError(PlatformConfigError):
    """A stack file cannot be read as Pulumi config: each problem is one line naming the file (and, for
    YAML errors, the line and column)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

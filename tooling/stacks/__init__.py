"""The real Pulumi CLI over deployed stacks, in four layers (import contracts in pyproject.toml):

- commands: `python -m tooling.stacks` (`driver`: preview, deploy, destroy, outputs), `release`,
  `accounts`, `drift`, `compare`, `broadening`;
- steps they compose: `assess` (previews, exports, drift), `gate`, `promotion`, `record`, and `guard`,
  the one place a stack changes (`pulumi up`, `pulumi destroy`);
- runners: `cli` (the CLI as a subprocess), `automation` (the Automation API), `preflight`, `events`;
- `types`: the stack, backend and target types and the errors, shared by all.
"""

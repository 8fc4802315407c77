"""The offline plan engine: each layer's real `__main__.py` under Pulumi's mock runtime, answered by
fake AWS (`fake_aws`), recorded in the shape of `pulumi stack export` (`engine`)."""

from tooling.plan.engine import PLAN_DIR, plan_environment, planned, stack_config, stack_name

__all__ = ["PLAN_DIR", "plan_environment", "planned", "stack_config", "stack_name"]

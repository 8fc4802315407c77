"""Facts about environments and AWS that config validation checks against."""

from typing import Literal, get_args

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
# "dev, staging or prod", for messages and descriptions.
ENVIRONMENT_NAMES = f"{', '.join(ENVIRONMENTS[:-1])} or {ENVIRONMENTS[-1]}"

# Commercial regions with at least three availability zones, and how many each offers every account
# (zones that only some accounts get, such as ap-northeast-1b, are not counted).
AVAILABILITY_ZONES: dict[str, int] = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-2": 4,
    "ca-central-1": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "eu-central-1": 3,
    "eu-north-1": 3,
    "eu-south-1": 3,
    "ap-northeast-1": 3,
    "ap-northeast-2": 4,
    "ap-south-1": 3,
    "ap-southeast-1": 3,
    "ap-southeast-2": 3,
    "sa-east-1": 3,
}
Region = Literal[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
]
REGIONS: tuple[str, ...] = get_args(Region)
assert set(REGIONS) == set(AVAILABILITY_ZONES), "every region needs its zone count"

# The only values CloudWatch Logs accepts for retention_in_days.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

"""Names: `{resource-type}-{environment}-{suffix}`, within each AWS service's rules."""

import pytest

from shared.errors import NameLimitError
from shared.naming import Namer

namer = Namer("staging", "s01")


def test_name_follows_the_convention():
    assert namer.name("vpc") == "vpc-staging-s01"
    assert namer.name("payments", "sqs") == "payments-staging-s01"


def test_global_name_adds_account_and_region_for_s3():
    assert namer.global_name("audit", "123456789012", "us-east-2") == "audit-staging-s01-123456789012-us-east-2"


def test_name_over_the_service_limit_is_refused_with_the_limit_and_the_fix():
    with pytest.raises(NameLimitError) as error:
        namer.name("alb-payments-public-1", "elb")
    message = str(error.value)
    assert "33 characters; the limit is 32" in message
    assert "Shorten platform:environmentSuffix" in message


def test_name_with_forbidden_characters_is_refused_with_what_is_allowed():
    with pytest.raises(NameLimitError, match="may contain lowercase letters, digits, dots, hyphens"):
        Namer("staging", "S01").name("audit", "s3")


def test_rds_names_may_not_contain_double_hyphens():
    with pytest.raises(NameLimitError):
        namer.name("pg--main", "rds")


def test_longest_suffix_fits_every_name_the_tightest_service_needs():
    longest = Namer("staging", "abcdefgh")
    assert longest.name("tg-green", "elb") == "tg-green-staging-abcdefgh"
    assert longest.global_name("alb-logs", "123456789012", "ap-southeast-2")  # 63-char S3 limit holds

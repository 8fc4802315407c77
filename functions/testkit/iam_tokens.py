"""What RDS checks in an IAM database authentication token, checked here because the test PostgreSQL cannot.

A token is a SigV4-presigned `connect` request to `<host>:<port>/` for `DBUser`, for the `rds-db`
service in one region, valid `X-Amz-Expires` seconds (at most 900) from `X-Amz-Date`.
`verify_token` checks each of those against what the caller expects, then signs the same request
again with the credentials the token claims and compares the signatures: a token for another
user, host, port, region or service, an expired one, or one signed with other credentials fails.
Whether those credentials may `rds-db:connect` as that user is IAM's part, proven on the plan
(tests/application/test_least_privilege.py).
"""

from __future__ import annotations

import datetime as dt
import hmac
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "rds-db"
MAX_VALIDITY_SECONDS = 900
CLOCK_SKEW = dt.timedelta(minutes=5)


class InvalidTokenError(AssertionError):
    """RDS would refuse this token."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidTokenError(message)


def verify_token(
    token: str, *, host: str, port: int, user: str, region: str, credentials: Credentials, now: dt.datetime
) -> None:
    """Raise InvalidTokenError naming the first thing RDS would refuse in `token`."""
    parts = urlsplit(f"https://{token}")
    _expect((parts.hostname, parts.port, parts.path) == (host, port, "/"), f"signed for {parts.netloc}{parts.path}")
    query = dict(parse_qsl(parts.query, strict_parsing=True))
    _expect(query.get("Action") == "connect" and query.get("DBUser") == user, f"not a connect for {user}: {query}")
    _expect(query.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256", "not SigV4")
    access_key, _, scope_region, scope_service, _ = query.get("X-Amz-Credential", "////").split("/")
    _expect(access_key == credentials.access_key, "signed with other credentials")
    _expect((scope_region, scope_service) == (region, SERVICE), f"scoped to {scope_region}/{scope_service}")
    signed_at = dt.datetime.strptime(query["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=dt.UTC)
    validity = int(query["X-Amz-Expires"])
    _expect(0 < validity <= MAX_VALIDITY_SECONDS, f"valid for {validity} s")
    _expect(signed_at - CLOCK_SKEW <= now <= signed_at + dt.timedelta(seconds=validity), "expired or not yet valid")

    # Sign the same request again, at the same instant, with the claimed credentials.
    request = AWSRequest(method="GET", url=f"https://{host}:{port}/", data={"Action": "connect", "DBUser": user})
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = SigV4QueryAuth(credentials, SERVICE, region, expires=validity)
    signer._modify_request_before_signing(request)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    _expect(hmac.compare_digest(expected, query.get("X-Amz-Signature", "")), "the signature does not match")

"""Access-token checks shared by every fake Graph route area.

Meta accepts the token as `Authorization: Bearer` (or `OAuth`) or as `access_token` in the
query; the fake accepts the same, so it can tell a client that leaks tokens into URLs.
"""

from litestar import Request

from wazify.fakemeta.errors import expired_token, invalid_token, missing_token
from wazify.fakemeta.state import FakeGraphState, FakeToken

_HEADER_SCHEMES = frozenset({"bearer", "oauth"})


def presented_token(request: Request) -> str | None:
    """The token of the request, header first; None when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in _HEADER_SCHEMES and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


def authenticate(request: Request, state: FakeGraphState) -> FakeToken:
    """The registered token of the request, or the Graph error Meta would answer."""
    token = presented_token(request)
    if token is None:
        raise missing_token()
    registered = state.tokens.get(token)
    if registered is None:
        raise invalid_token()
    if registered.expired:
        raise expired_token()
    return registered

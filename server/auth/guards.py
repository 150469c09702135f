"""Litestar guards, and the `principal` dependency for route handlers.

Every route names its guard explicitly, `public` included, so a forgotten guard is visible
in review (and tests/auth checks every route of its modules has one). A missing principal
is a 401; an expired or ended session gets its own code, `session_expired`, so the web app
can send the person back to sign in without losing what they were typing.

    @get("/things", guards=[require_member])
    async def things(principal: Principal) -> ...:   # `principal` is an app dependency
        ... WHERE workspace_id = principal.workspace_id ...
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard, Scope

from wazify.auth.principal import PRINCIPAL_KEY, PROBLEM_KEY, Principal, header
from wazify.lib.errors import Forbidden, Unauthorized

# Handlers with this opt key skip the middleware's CSRF check: they authenticate nobody by
# cookie (sign-in, accepting an invitation), so there is no session to ride. One that may
# rely on the session after all (an invitation accepted by a signed-in person) calls
# `check_csrf` itself on that path.
CSRF_EXEMPT = "csrf_exempt"
# Routes that never look at a principal (Meta's webhook): the middleware skips them.
SKIP_AUTH = "skip_auth"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_HEADER_BYTES = CSRF_HEADER.lower().encode()


def principal_from_scope(scope: Scope) -> Principal:
    """The request's principal, or the 401 that explains its absence."""
    state: dict[str, Any] = scope.get("state") or {}
    principal = state.get(PRINCIPAL_KEY)
    if principal is not None:
        return principal
    problem = state.get(PROBLEM_KEY)
    if problem == "session_expired":
        raise Unauthorized(
            "your session has ended or expired; sign in again", code="session_expired"
        )
    if problem == "invalid_token":
        raise Unauthorized("the API token is unknown or revoked", code="invalid_token")
    raise Unauthorized("sign in, or send an API token as `Authorization: Bearer ...`")


def check_csrf(scope: Scope, principal: Principal) -> None:
    """Double submit: a cookie-authenticated unsafe request carries its session's token in
    the X-CSRF-Token header (a cookie rides along on its own; a header only comes from our
    own pages' scripts)."""
    sent = header(scope, _CSRF_HEADER_BYTES) or ""
    expected = principal.csrf_token or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            f"missing or wrong {CSRF_HEADER} header (use the csrf_token from /api/v1/me)",
            code="csrf_failed",
        )


def optional_principal(scope: Scope) -> Principal | None:
    return (scope.get("state") or {}).get(PRINCIPAL_KEY)


def public(_: ASGIConnection, __: BaseRouteHandler) -> None:
    """Open to anyone: says so explicitly (sign-in, logout, accepting an invitation)."""


def require_member(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Any active member of the session's workspace (resolution already checked active)."""
    principal_from_scope(connection.scope)


def require_role(*roles: str) -> Guard:
    allowed = frozenset(roles)
    names = " or ".join(sorted(allowed))

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = principal_from_scope(connection.scope)
        if principal.role not in allowed:
            raise Forbidden(f"this needs the {names} role; you are {principal.role}")

    guard.__name__ = f"require_role({', '.join(sorted(allowed))})"
    return guard


require_admin = require_role("admin")
require_staff = require_role("admin", "supervisor")


def require_session(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A signed-in person, not an API token: a leaked token must not be able to change the
    password or mint tokens that outlive its own revocation."""
    principal = principal_from_scope(connection.scope)
    if principal.via != "session":
        raise Forbidden("this needs a signed-in session; API tokens cannot do it")


def _provide_principal(scope: Scope) -> Principal:
    return principal_from_scope(scope)


# Registered app-wide as the dependency `principal` (works for HTTP and websocket handlers).
PRINCIPAL_DEPENDENCY = Provide(_provide_principal, sync_to_thread=False)

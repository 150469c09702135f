"""One middleware: resolve the principal once per request, and enforce CSRF.

Resolution stores the Principal (or why there is none) in the scope's state, where the
guards and the `principal` dependency read it. It never refuses a request by itself, except
for CSRF: an unauthenticated request goes on to its route's guard, which decides.

CSRF (double submit): an unsafe request authenticated by the session cookie must carry
`X-CSRF-Token` equal to its session's csrf token (given at sign-in and by /me). A cookie
is sent by the browser on its own; a header can only be set by our own pages' scripts.
Bearer requests are exempt: browsers never attach an Authorization header by themselves.
Litestar's own CSRF middleware cannot exempt "requests with a Bearer token", hence ours.

A database fault during resolution is not a missing principal: HTTP requests get a 503 and
websockets a close with 1013 (try again later), never the 401/403 that ends a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from wazify.auth.guards import CSRF_EXEMPT, SKIP_AUTH, check_csrf
from wazify.auth.principal import PRINCIPAL_KEY, PROBLEM_KEY, resolve_principal
from wazify.lib.db_faults import is_database_fault
from wazify.realtime.protocol import CLOSE_TRY_AGAIN

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TRY_AGAIN_REASON = "the database is unavailable, try again shortly"


class AuthMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_opt_key = SKIP_AUTH

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        runtime = getattr(scope["litestar_app"].state, "runtime", None)
        principal, problem = (None, None)
        if runtime is not None:
            try:
                principal, problem = await resolve_principal(runtime, scope)
            except Exception as error:
                # A lookup that failed is not a session that ended: HTTP answers 503 (the
                # exception handlers), a websocket is told to try again.
                if scope["type"] != ScopeType.WEBSOCKET or not is_database_fault(error):
                    raise
                await _close_try_again(receive, send)
                return
        state = scope.setdefault("state", {})
        state[PRINCIPAL_KEY] = principal
        state[PROBLEM_KEY] = problem
        if (
            principal is not None
            and principal.via == "session"
            and scope["type"] == ScopeType.HTTP
            and scope["method"] not in SAFE_METHODS
            and not scope["route_handler"].opt.get(CSRF_EXEMPT)
        ):
            check_csrf(scope, principal)
        await next_app(scope, receive, send)


async def _close_try_again(receive: Receive, send: Send) -> None:
    """Accept, then close with 1013 (try again later). A refused handshake is an HTTP 403,
    which says "sign in again" and which a browser cannot even see (only a 1006)."""
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept", "subprotocol": None, "headers": []})
    await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN, "reason": TRY_AGAIN_REASON})

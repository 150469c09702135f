"""One middleware: resolve the principal once per request, and enforce CSRF.

Resolution stores the Principal (or why there is none) in the scope's state, where the
guards and the `principal` dependency read it. It never refuses a request by itself, except
for CSRF: an unauthenticated request goes on to its route's guard, which decides.

CSRF (double submit): an unsafe request authenticated by the session cookie must carry
`X-CSRF-Token` equal to its session's csrf token (given at sign-in and by /me). A cookie
is sent by the browser on its own; a header can only be set by our own pages' scripts.
Bearer requests are exempt: browsers never attach an Authorization header by themselves.
Litestar's own CSRF middleware cannot exempt "requests with a Bearer token", hence ours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from wazify.auth.guards import CSRF_EXEMPT, SKIP_AUTH, check_csrf
from wazify.auth.principal import PRINCIPAL_KEY, PROBLEM_KEY, resolve_principal

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AuthMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_opt_key = SKIP_AUTH

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        runtime = getattr(scope["litestar_app"].state, "runtime", None)
        principal, problem = (None, None)
        if runtime is not None:
            principal, problem = await resolve_principal(runtime, scope)
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

"""Who is making a request: the Principal, and how it is resolved from the request.

A request authenticates with the session cookie (the web app) or `Authorization: Bearer`
(scripts and integrations). Either way it acts as one member in one workspace, with the
role that membership has *now*: the role and the active flag are read on every request, so
a demotion or a deactivation takes effect at the next request, not at the next login.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from wazify.actions.uow import Actor, unit_of_work
from wazify.views import Role

if TYPE_CHECKING:
    from litestar.types import Scope

    from wazify.runtime import Runtime

Via = Literal["session", "token"]
# Why a request carries no principal; the guards turn it into the 401's error code.
Problem = Literal["session_expired", "invalid_token"]

PRINCIPAL_KEY = "wazify.principal"
PROBLEM_KEY = "wazify.auth_problem"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    workspace_id: int
    role: Role
    email: str
    name: str
    via: Via
    # Secrets stay out of repr(), so logging a principal can never leak them.
    session_hash: str | None = field(default=None, repr=False)
    token_id: int | None = None
    csrf_token: str | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "supervisor")

    def actor(self, client_addr: str | None = None) -> Actor:
        """The write path's Actor for this principal (audit rows name the user and address)."""
        return Actor(user_id=self.user_id, label=self.email, client_addr=client_addr)


def client_addr(scope: Scope) -> str | None:
    """The peer address as the ASGI server reports it (uvicorn applies --proxy-headers)."""
    client = scope.get("client")
    return client[0] if client else None


def acting(runtime: Runtime, principal: Principal, scope: Scope):  # type: ignore[no-untyped-def]
    """The write path's unit of work for a request: acting as its principal, audited with
    the request's address."""
    return unit_of_work(runtime, principal.actor(client_addr(scope)))


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def cookies(scope: Scope, name: str) -> list[str]:
    """Every value sent under `name`, in the browser's order: a planted cookie for another
    path or parent domain may ride beside ours (the `__Host-` prefix rules that out)."""
    values = []
    for part in (header(scope, b"cookie") or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name and (value := value.strip().strip('"')):
            values.append(value)
    return values


def bearer_token(scope: Scope) -> str | None:
    """The Bearer credential, if any. Other schemes (Basic from a proxy in front of the app)
    are ignored rather than refused, so they do not break cookie sign-in."""
    raw = header(scope, b"authorization")
    if not raw:
        return None
    scheme, _, credential = raw.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credential.strip()


async def resolve_principal(
    runtime: Runtime, scope: Scope
) -> tuple[Principal | None, Problem | None]:
    """Resolve once per request (the middleware does it). Bearer wins over the cookie: a
    request that names a token means it, and must not silently fall back to a session."""
    from wazify.auth import sessions, tokens  # they import Principal from here

    settings = runtime.settings
    token = bearer_token(scope)
    if token is not None:
        principal = await tokens.load_token(runtime.engine.pool, token)
        return (principal, None) if principal else (None, "invalid_token")
    values = cookies(scope, sessions.cookie_name(settings))
    if not values:
        return None, None
    idle = timedelta(minutes=settings.session_idle_minutes)
    # A stale cookie beside ours (another path, a parent domain) must not lock the person
    # out: the first value that names a live session wins. Bounded, as each costs a query.
    for session_id in values[:3]:
        principal = await sessions.load_session(runtime.engine.pool, session_id, idle=idle)
        if principal is not None:
            return principal, None
    return None, "session_expired"

"""Server-side sessions: the cookie holds a random id, the database only its SHA-256.

A session is bound to one workspace. It ends at the first of: logout, a password change
elsewhere, deactivation, `expires_at` (absolute lifetime, set at creation), or idleness
(no request for `session_idle_minutes`, measured from `last_seen_at`). `last_seen_at` is
written at most once a minute, so a busy agent's requests do not each cost a write.

Creating and ending sessions use Piccolo's query builder: the write path (actions/auth.py)
calls them inside its unit of work, whose transaction they join (their `conn` argument is
kept for the callers). Resolution, on every request, stays one SQL round trip through the
pool (docs/migrations.md, "Where SQL stays").
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wazify.auth.principal import Principal
from wazify.db.expressions import db_now, db_now_plus
from wazify.db.tables import Session

if TYPE_CHECKING:
    import asyncpg
    from litestar import Response

    from wazify.settings import Settings

SESSION_COOKIE = "wazify_session"
# `__Host-`: browsers accept it only with Secure, Path=/ and no Domain, so neither a
# sibling subdomain nor a plain-http page can plant or overwrite it.
SECURE_SESSION_COOKIE = "__Host-wazify_session"
TOUCH_INTERVAL = timedelta(minutes=1)


def cookie_name(settings: Settings) -> str:
    return SECURE_SESSION_COOKIE if settings.secure_cookies else SESSION_COOKIE


def hash_secret(secret: str) -> str:
    """SHA-256, hex. Enough for 256-bit random secrets (no salt or slow hash needed: they
    cannot be guessed, only stolen, and a stolen database then yields nothing usable)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewSession:
    session_id: str = field(repr=False)
    id_hash: str = field(repr=False)
    csrf_token: str = field(repr=False)
    expires_at: datetime


async def create_session(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    workspace_id: int,
    lifetime: timedelta,
    client_addr: str | None,
    user_agent: str | None,
) -> NewSession:
    # Always a fresh id: a session id is never reused across logins (no fixation).
    session_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    id_hash = hash_secret(session_id)
    session = Session(
        id_hash=id_hash,
        user=user_id,
        workspace=workspace_id,
        csrf_token=csrf_token,
        client_addr=client_addr,
        user_agent=(user_agent or "")[:300],
        created_at=db_now(),
        last_seen_at=db_now(),
        expires_at=db_now_plus(lifetime),
    )
    rows = await Session.insert(session).returning(Session.expires_at)
    expires_at = rows[0]["expires_at"]
    return NewSession(session_id, id_hash, csrf_token, expires_at)


async def end_session(conn: asyncpg.Connection, id_hash: str) -> bool:
    ended = (
        await Session.update({Session.ended_at: db_now()})
        .where((Session.id_hash == id_hash) & Session.ended_at.is_null())
        .returning(Session.id_hash)
    )
    return bool(ended)


async def end_other_sessions(conn: asyncpg.Connection, user_id: int, keep_hash: str | None) -> int:
    """End every open session of the user (in every workspace) except `keep_hash`."""
    where = (Session.user == user_id) & Session.ended_at.is_null()
    if keep_hash is not None:
        where &= Session.id_hash != keep_hash
    ended = (
        await Session.update({Session.ended_at: db_now()}).where(where).returning(Session.id_hash)
    )
    return len(ended)


# Resolving the cookie is SQL, on every request: one round trip joining the session, the
# membership (a two-column match Piccolo's joins cannot make) and the user.
_LOAD_SQL = """
SELECT s.user_id, s.workspace_id, s.csrf_token, s.ended_at, s.expires_at, s.last_seen_at,
       m.role, m.active, u.email, u.name, now() AS now
FROM sessions s
JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
JOIN users u ON u.id = s.user_id
WHERE s.id_hash = $1
"""


async def load_session(
    pool: asyncpg.Pool | asyncpg.Connection, session_id: str, *, idle: timedelta
) -> Principal | None:
    """The principal of a live session, or None (unknown, ended, expired, idle, inactive)."""
    if not session_id or len(session_id) > 200:
        return None
    id_hash = hash_secret(session_id)
    row = await pool.fetchrow(_LOAD_SQL, id_hash)
    if row is None or row["ended_at"] is not None or not row["active"]:
        return None
    now = row["now"]
    if now >= row["expires_at"] or now - row["last_seen_at"] >= idle:
        # Record the end, so an idle session cannot come back if the setting is raised.
        await pool.execute(
            "UPDATE sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL",
            id_hash,
        )
        return None
    if now - row["last_seen_at"] >= TOUCH_INTERVAL:
        await pool.execute(
            "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1 AND ended_at IS NULL",
            id_hash,
        )
    return Principal(
        user_id=row["user_id"],
        workspace_id=row["workspace_id"],
        role=row["role"],
        email=row["email"],
        name=row["name"],
        via="session",
        session_hash=id_hash,
        csrf_token=row["csrf_token"],
    )


def set_session_cookie(response: Response, settings: Settings, session: NewSession) -> None:
    # Max-Age is the absolute lifetime, so the cookie survives a browser restart during a
    # shift but not past the moment the server would refuse it anyway.
    max_age = max(1, int(settings.session_absolute_hours * 3600))
    response.set_cookie(
        key=cookie_name(settings),
        value=session.session_id,
        max_age=max_age,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    # Not Response.delete_cookie: it drops Secure, and browsers ignore a `__Host-` cookie
    # deletion without it.
    response.set_cookie(
        key=cookie_name(settings),
        value="",
        max_age=0,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )

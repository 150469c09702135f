"""The unit of work: the one write path.

    async with unit_of_work(runtime, actor) as uow:
        await Conversation.update({...}).where(...)   # Piccolo's query builder, or
        await uow.conn.execute("...")                 # SQL on a measured hot path
        uow.emit(SomethingHappened(...), audience)
        uow.audit("thing.changed", workspace_id, ...)

One Postgres transaction. Just before commit, the outermost unit takes sequence numbers for
its buffered events with one UPDATE per workspace on the counter row, whose lock is held
until commit: sequence order is commit order and a rollback leaves no hole. It inserts the
event and audit rows, commits, and only then publishes. A nested unit joins the outer one.
Work registered with `uow.after_commit` (auto-assignment's decisions, which take their own
lock in their own transaction) runs after the publish, once per key; a failure there is
logged, never raised: what the unit wrote has committed.

Piccolo queries made inside a unit run in its transaction, on its connection (db/engine.py,
`piccolo_joins`): table-class queries and `uow.conn` SQL see the same uncommitted rows and
commit or roll back together.

The event log append stays SQL: one unnest INSERT for a unit's events, however many (ingest
writes thousands), where Piccolo's bulk insert takes 3x as long for 100 rows (docs/migrations.md).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from wazify.db.engine import piccolo_joins
from wazify.realtime.broker import LoggedEvent
from wazify.realtime.events import EVERYONE, Audience, EventBase, encode_event
from wazify.runtime import Runtime

log = logging.getLogger("wazify.actions")

_current: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "wazify_unit_of_work", default=None
)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a member (user_id) or the system (webhooks, sweepers, the CLI)."""

    user_id: int | None
    label: str
    client_addr: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, label=label)


@dataclass
class _PendingAudit:
    workspace_id: int | None
    action: str
    target_type: str
    target_id: str
    before: Any
    after: Any


@dataclass
class UnitOfWork:
    runtime: Runtime
    actor: Actor
    conn: asyncpg.Connection
    events: list[tuple[EventBase, Audience]] = field(default_factory=list)
    audits: list[_PendingAudit] = field(default_factory=list)
    committed: list[LoggedEvent] = field(default_factory=list)
    after: dict[object, Callable[[], Awaitable[object]]] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    def emit(self, event: EventBase, audience: Audience = EVERYONE) -> None:
        """Buffer an event; it gets its sequence number and is stored at commit."""
        self.events.append((event, audience))

    def after_commit(self, key: object, work: Callable[[], Awaitable[object]]) -> None:
        """Run `work` once the unit has committed and published (once per key)."""
        self.after.setdefault(key, work)

    def audit(
        self,
        action: str,
        workspace_id: int | None,
        target_type: str = "",
        target_id: object = "",
        before: Any = None,
        after: Any = None,
    ) -> None:
        self.audits.append(
            _PendingAudit(workspace_id, action, target_type, str(target_id), before, after)
        )

    async def _assign_sequences(self) -> list[tuple[LoggedEvent, str]]:
        """Number the buffered events; returns them with their type, grouped by workspace."""
        by_workspace: dict[int, list[tuple[EventBase, Audience]]] = {}
        for event, audience in self.events:
            by_workspace.setdefault(event.workspace_id, []).append((event, audience))
        logged: list[tuple[LoggedEvent, str]] = []
        # Counter rows are locked in workspace order so two units never deadlock.
        for workspace_id in sorted(by_workspace):
            batch = by_workspace[workspace_id]
            last = await self.conn.fetchval(
                "UPDATE workspace_counters SET last_seq = last_seq + $2"
                " WHERE workspace_id = $1 RETURNING last_seq",
                workspace_id,
                len(batch),
            )
            if last is None:
                raise LookupError(f"workspace {workspace_id} has no event counter")
            first = last - len(batch) + 1
            for offset, (event, audience) in enumerate(batch):
                numbered = msgspec.structs.replace(event, seq=first + offset)
                item = LoggedEvent(
                    workspace_id=workspace_id,
                    seq=first + offset,
                    audience_user_id=audience.user_id,
                    audience_roles=audience.roles,
                    payload=encode_event(numbered),
                )
                logged.append((item, _event_type(event)))
        return logged

    async def _write_log(self) -> None:
        typed = await self._assign_sequences()
        logged = [item for item, _ in typed]
        if logged:
            # One statement for the whole log batch: ingest writes thousands at a time.
            await self.conn.execute(
                "INSERT INTO events (workspace_id, seq, type, payload, audience_user_id,"
                " audience_roles, created_at)"
                " SELECT w, s, t, p, u, string_to_array(r, ','), clock_timestamp()"
                " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],"
                " $6::text[]) AS e(w, s, t, p, u, r)",
                [item.workspace_id for item in logged],
                [item.seq for item in logged],
                [event_type for _, event_type in typed],
                [item.payload.decode() for item in logged],
                [item.audience_user_id for item in logged],
                [
                    ",".join(item.audience_roles) if item.audience_roles is not None else None
                    for item in logged
                ],
            )
        if self.audits:
            await self.conn.executemany(
                "INSERT INTO audit_entries (workspace_id, actor_id, actor_label, action,"
                " target_type, target_id, before, after, client_addr)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)",
                [
                    (
                        entry.workspace_id,
                        self.actor.user_id,
                        self.actor.label,
                        entry.action,
                        entry.target_type,
                        entry.target_id,
                        _json_or_none(entry.before),
                        _json_or_none(entry.after),
                        self.actor.client_addr,
                    )
                    for entry in self.audits
                ],
            )
        self.committed = logged


def _event_type(event: EventBase) -> str:
    return type(event).__struct_config__.tag  # type: ignore[return-value]


def _json_or_none(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


@asynccontextmanager
async def unit_of_work(runtime: Runtime, actor: Actor) -> AsyncIterator[UnitOfWork]:
    """Open the write path's transaction, or join the one already open in this task."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    # asyncpg's own pool and transaction (not Piccolo's transaction object, which keeps its
    # connection when cancelled mid-commit): a cancelled unit always rolls back and
    # returns its connection.
    async with runtime.engine.pool.acquire() as connection, connection.transaction():
        uow = UnitOfWork(runtime=runtime, actor=actor, conn=connection)
        token = _current.set(uow)
        try:
            with piccolo_joins(runtime.engine, connection):
                yield uow
                # Sequence numbers are taken as late as possible: the counter row stays
                # locked only between this statement and the commit.
                await uow._write_log()
        finally:
            _current.reset(token)
    if uow.committed:
        await runtime.broker.publish(uow.committed)
    for work in uow.after.values():
        try:
            await work()
        except Exception:
            log.exception("work after a commit failed")

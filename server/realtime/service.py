"""The realtime layer of one process: the hub, signals, heartbeats, presence, validation.

Periodic work runs on two clocks: every `heartbeat_seconds` the hub checks the committed
heads (healing lost publishes), each socket gets a heartbeat with its watermark and this
process refreshes its presence reports; every `validate_seconds` the sockets' sessions,
tokens and memberships are checked in one round of queries, so a deactivated member or an
ended session is disconnected within seconds.

Validation is SQL through the engine's pool: one statement per kind for every open socket, the
ids as one array parameter (Piccolo's is_in sends one parameter per id) (docs/migrations.md).
A member's merged presence moving between offline and present (online or away) is stored
for auto-assignment (actions/assignment_settings.record_presence), one member at a time
from this process's latest merged view: every process writes the same final state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from datetime import timedelta

import msgspec

from wazify.actions.assignment_settings import record_presence
from wazify.lib.tasks import spawn
from wazify.realtime.connection import Connection
from wazify.realtime.hub import Hub
from wazify.realtime.presence import PresenceReport, PresenceTable
from wazify.realtime.protocol import (
    CLOSE_GOING_AWAY,
    CLOSE_UNAUTHORIZED,
    Heartbeat,
    PresenceChanged,
    Typing,
    Viewing,
    encode_frame,
)
from wazify.runtime import Runtime

log = logging.getLogger("wazify.realtime")


class TypingSignal(msgspec.Struct, tag="typing", array_like=True):
    workspace_id: int
    conversation_id: int
    user_id: int
    name: str


class PresenceSignal(msgspec.Struct, tag="presence", array_like=True):
    report: PresenceReport


_signal_decoder = msgspec.msgpack.Decoder(TypingSignal | PresenceSignal)
_signal_encoder = msgspec.msgpack.Encoder()


class Realtime:
    def __init__(
        self,
        runtime: Runtime,
        *,
        heartbeat_seconds: float = 15,
        validate_seconds: float = 3,
        queue_limit: int = 2000,
        stall_seconds: float = 10,
    ) -> None:
        self.runtime = runtime
        self.queue_limit = queue_limit  # frames a socket may have waiting before 4008
        self.stall_seconds = stall_seconds  # a send blocked this long: the client stopped reading
        self.hub = Hub(runtime)
        self.presence = PresenceTable(ttl=max(45.0, heartbeat_seconds * 3))
        self.process = secrets.token_hex(6)
        self.heartbeat_seconds = heartbeat_seconds
        self.validate_seconds = validate_seconds
        self._dirty: set[tuple[int, int]] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._present: set[tuple[int, int]] = set()
        self._recorder: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.hub.attach()
        self.runtime.broker.add_signal_handler(self.on_signal)
        self._tasks = [
            spawn(self._every(self.heartbeat_seconds, self.heartbeat), "realtime-heartbeat"),
            spawn(self._every(self.validate_seconds, self.validate), "realtime-validate"),
        ]

    async def stop(self) -> None:
        tasks = [*self._tasks, *(t for t in (self._flusher, self._recorder) if t)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.hub.detach()
        self.runtime.broker.remove_signal_handler(self.on_signal)
        for connection in self.hub.all_connections():
            connection.close_later(CLOSE_GOING_AWAY, "server shutting down: resume")

    async def _every(self, seconds: float, work) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic realtime work failed")

    async def heartbeat(self) -> None:
        try:
            await self.hub.check_heads()
        except Exception as error:  # the database is away: still beat, report and expire
            log.warning("could not check the workspaces' heads: %s", error)
        for connection in self.hub.all_connections():
            if not connection.replaying:
                connection.push(encode_frame(Heartbeat(watermark=connection.considered)))
        for workspace_id, user_id in {
            (c.workspace_id, c.user_id) for c in self.hub.all_connections()
        }:
            await self.report_presence(workspace_id, user_id)
        before = {key: self._presence_of(*key) for key in self.presence.members()}
        for key in self.presence.expire():
            self._announce(*key, before=before[key])

    # Presence and viewing -----------------------------------------------------------------

    def _local_report(self, workspace_id: int, user_id: int) -> PresenceReport:
        mine = [c for c in self.hub.connections.get(workspace_id, ()) if c.user_id == user_id]
        states = {c.presence for c in mine}
        state = "online" if "online" in states else "away" if states else "offline"
        viewing = tuple(sorted({c.viewing for c in mine if c.viewing is not None}))
        return PresenceReport(self.process, workspace_id, user_id, state, viewing)

    async def report_presence(self, workspace_id: int, user_id: int) -> None:
        """Mark a member's presence as changed here; reports go out together, so 200 sockets
        connecting at once cost one Redis round trip, not 200 (and no connection storm)."""
        self._dirty.add((workspace_id, user_id))
        if self._flusher is None or self._flusher.done():
            self._flusher = spawn(self._flush_presence(), "presence-flush")

    async def _flush_presence(self) -> None:
        await asyncio.sleep(0)  # let the reports of this moment join the batch
        while self._dirty:
            batch, self._dirty = self._dirty, set()
            reports = [self._local_report(*key) for key in sorted(batch)]
            await self.runtime.broker.publish_signals(
                [_signal_encoder.encode(PresenceSignal(report)) for report in reports]
            )

    async def _record_presence(self) -> None:
        while self._present:
            workspace_id, user_id = self._present.pop()
            online = self.presence.state(workspace_id, user_id) != "offline"
            try:
                await record_presence(self.runtime, workspace_id, user_id, online)
            except Exception as error:  # the next change (or heartbeat expiry) records it
                log.warning("could not record presence for auto-assignment: %s", error)

    async def send_typing(self, connection: Connection, conversation_id: int) -> None:
        principal = connection.principal
        signal = TypingSignal(
            connection.workspace_id,
            conversation_id,
            principal.user_id,
            principal.name or principal.email,
        )
        await self.runtime.broker.publish_signal(_signal_encoder.encode(signal))

    def on_signal(self, data: bytes) -> None:
        try:
            signal = _signal_decoder.decode(data)
        except msgspec.DecodeError:
            log.warning("undecodable signal ignored")
            return
        if isinstance(signal, TypingSignal):
            frame = Typing(
                conversation_id=signal.conversation_id, user_id=signal.user_id, name=signal.name
            )
            self.hub.broadcast(
                signal.workspace_id, encode_frame(frame), exclude_user=signal.user_id
            )
            return
        report = signal.report
        before = self._presence_of(report.workspace_id, report.user_id)
        self.presence.apply(report)
        self._announce(report.workspace_id, report.user_id, before)

    def _presence_of(self, workspace_id: int, user_id: int) -> tuple[str, set[int]]:
        return (
            self.presence.state(workspace_id, user_id),
            self.presence.viewing_of(workspace_id, user_id),
        )

    def _announce(self, workspace_id: int, user_id: int, before: tuple[str, set[int]]) -> None:
        """Tell the workspace's sockets what changed in this member's presence and viewing."""
        state, viewing = self._presence_of(workspace_id, user_id)
        old_state, old_viewing = before
        if state != old_state:
            frame = PresenceChanged(user_id=user_id, state=state)  # type: ignore[arg-type]
            self.hub.broadcast(workspace_id, encode_frame(frame))
            if (state == "offline") != (old_state == "offline"):
                self._present.add((workspace_id, user_id))
                if self._recorder is None or self._recorder.done():
                    self._recorder = spawn(self._record_presence(), "presence-record")
        for conversation_id in sorted(viewing ^ old_viewing):
            frame = Viewing(
                conversation_id=conversation_id,
                user_ids=self.presence.viewers(workspace_id, conversation_id),
            )
            self.hub.broadcast(workspace_id, encode_frame(frame))

    # Who may stay connected ----------------------------------------------------------------

    def drop_stalled(self) -> None:
        now = time.monotonic()
        for connection in self.hub.all_connections():
            if not connection.closed and connection.stalled_for(now) > self.stall_seconds:
                log.info("closing a socket that stopped reading (user %s)", connection.user_id)
                connection.abandon_stalled()

    def fold_metrics(self) -> None:
        self.hub.fold_metrics()

    async def validate(self) -> None:
        self.drop_stalled()
        self.fold_metrics()
        connections = self.hub.all_connections()
        if not connections:
            return
        settings = self.runtime.settings
        pool = self.runtime.engine.pool
        sessions = sorted(
            {c.principal.session_hash for c in connections if c.principal.session_hash}
        )
        tokens = sorted({c.principal.token_id for c in connections if c.principal.token_id})
        touched = sorted(
            {
                c.principal.session_hash
                for c in connections
                if c.active_since_check and c.principal.session_hash
            }
        )
        if touched:
            await pool.execute(
                "UPDATE sessions SET last_seen_at = now() WHERE id_hash = ANY($1::text[])"
                " AND ended_at IS NULL",
                touched,
            )
        live_sessions = {
            row["id_hash"]
            for row in await pool.fetch(
                "SELECT id_hash FROM sessions WHERE id_hash = ANY($1::text[]) AND ended_at IS NULL"
                " AND expires_at > now() AND last_seen_at > now() - $2::interval",
                sessions,
                timedelta(minutes=settings.session_idle_minutes),
            )
        }
        live_tokens = {
            row["id"]
            for row in await pool.fetch(
                "SELECT id FROM api_tokens WHERE id = ANY($1::bigint[]) AND revoked_at IS NULL",
                tokens,
            )
        }
        roles = {
            (row["workspace_id"], row["user_id"]): row["role"]
            for row in await pool.fetch(
                "SELECT workspace_id, user_id, role FROM memberships WHERE active"
                " AND user_id = ANY($1::bigint[])",
                sorted({c.user_id for c in connections}),
            )
        }
        for connection in connections:
            connection.active_since_check = False
            principal = connection.principal
            role = roles.get((connection.workspace_id, connection.user_id))
            alive = (
                principal.session_hash in live_sessions
                if principal.via == "session"
                else principal.token_id in live_tokens
            )
            if role is None or not alive:
                connection.close_later(CLOSE_UNAUTHORIZED, "session ended or access revoked")
            elif role != principal.role:
                connection.principal = dataclasses.replace(principal, role=role)

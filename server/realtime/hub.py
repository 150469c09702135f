"""The per-process hub: committed events to the right sockets, in order, without gaps.

Events reach a process through the broker in publication order, which is not sequence
order when several processes commit (and a publish can be lost). Sequence order is commit
order, so when seq N arrives while N-1 has not, N-1 is already committed: the hub reads the
missing events from Postgres once for the whole process and then hands every event to each
connection of the workspace in sequence order. A periodic check of the workspaces' heads
heals a lost publish that no later event reveals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from wazify.lib.tasks import spawn
from wazify.ops.metrics import FrameFolder, websockets_connected
from wazify.realtime.broker import LoggedEvent
from wazify.realtime.connection import Connection, text_frame
from wazify.realtime.replay import fetch_events, workspace_heads
from wazify.runtime import Runtime

log = logging.getLogger("wazify.hub")
FILL_RETRY_SECONDS = 0.5


class Hub:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.connections: dict[int, set[Connection]] = {}
        self._heads: dict[int, int] = {}  # highest seq handed over in order, per workspace
        self._pending: dict[int, dict[int, LoggedEvent]] = {}
        self._filling: set[int] = set()
        self._starting: dict[int, asyncio.Future[None]] = {}  # head being read, per workspace
        self._tasks: set[asyncio.Task[None]] = set()
        self._frames_of_gone = 0  # frames written by connections no longer registered
        self._frames = FrameFolder()

    def attach(self) -> None:
        self.runtime.broker.add_handler(self.on_event)
        self.runtime.broker.add_reconnect_handler(self.check_heads_soon)

    def detach(self) -> None:
        self.runtime.broker.remove_handler(self.on_event)
        self.runtime.broker.remove_reconnect_handler(self.check_heads_soon)

    # Registration -----------------------------------------------------------------------

    async def register(self, connection: Connection) -> None:
        """Subscribe a connection before its replay starts (nothing falls between).

        Returns once the hub knows where the workspace's live stream starts: the hub's head
        is then at most the head the connection's replay reads next, so every later event
        reaches the connection live. (A second socket must wait for a first one's head
        query too: were that query to read a later head than its replay, the events in
        between would be neither replayed nor handed over.)
        """
        workspace_id = connection.workspace_id
        self.connections.setdefault(workspace_id, set()).add(connection)
        websockets_connected.inc()
        while workspace_id not in self._heads and connection in self.connections.get(
            workspace_id, ()
        ):
            starting = self._starting.get(workspace_id)
            if starting is not None:
                await asyncio.shield(starting)
                continue
            starting = asyncio.get_running_loop().create_future()
            self._starting[workspace_id] = starting
            try:
                heads = await workspace_heads(self.runtime.engine.pool, [workspace_id])
                if workspace_id in self.connections:
                    self._heads[workspace_id] = heads.get(workspace_id, 0)
                    self._advance(workspace_id)
            finally:
                # Waiters look again: on a failure the next of them reads the head itself.
                del self._starting[workspace_id]
                starting.set_result(None)

    def unregister(self, connection: Connection) -> None:
        workspace_id = connection.workspace_id
        members = self.connections.get(workspace_id)
        if members is None or connection not in members:
            return
        members.remove(connection)
        websockets_connected.dec()
        self._frames_of_gone += connection.sent
        if not members:
            del self.connections[workspace_id]
            self._heads.pop(workspace_id, None)
            self._pending.pop(workspace_id, None)

    # Events -----------------------------------------------------------------------------

    def on_event(self, event: LoggedEvent) -> None:
        """Broker handler: runs in the broker's reader, so it only files and hands over."""
        if event.workspace_id not in self.connections:
            return
        head = self._heads.get(event.workspace_id)
        if head is not None and event.seq <= head:
            return  # a duplicate publish, or already fetched
        self._pending.setdefault(event.workspace_id, {})[event.seq] = event
        self._advance(event.workspace_id)

    def _advance(self, workspace_id: int) -> None:
        head = self._heads.get(workspace_id)
        pending = self._pending.get(workspace_id)
        if head is None or not pending:
            return
        for seq in [seq for seq in pending if seq <= head]:
            del pending[seq]  # handed over already (published while the head was read)
        connections = self.connections.get(workspace_id, ())
        while head + 1 in pending:
            head += 1
            event = pending.pop(head)
            frame = text_frame(event.payload)  # decoded once for every socket
            for connection in connections:
                connection.offer(event, frame)
        self._heads[workspace_id] = head
        if pending:
            self._fill(workspace_id, head, min(pending) - 1)

    def _fill(self, workspace_id: int, after: int, through: int) -> None:
        if workspace_id in self._filling:
            return
        self._filling.add(workspace_id)
        self._spawn(self._fill_from_log(workspace_id, after, through), "hub-fill")

    async def _fill_from_log(self, workspace_id: int, after: int, through: int) -> None:
        try:
            events = await fetch_events(self.runtime.engine.pool, workspace_id, after, through)
        except Exception as error:
            log.warning("could not read missing events of workspace %s: %s", workspace_id, error)
            events = []
            await asyncio.sleep(FILL_RETRY_SECONDS)  # then _advance tries again
        finally:
            self._filling.discard(workspace_id)
        if workspace_id not in self.connections:
            return
        pending = self._pending.setdefault(workspace_id, {})
        for event in events:
            pending.setdefault(event.seq, event)
        self._advance(workspace_id)

    def check_heads_soon(self) -> None:
        self._spawn(self.check_heads(), "hub-check-heads")

    async def check_heads(self) -> None:
        """Compare each workspace's committed head with what was handed over; fetch any
        events whose publish never arrived (Redis restarts, a lost message)."""
        workspaces = list(self.connections)
        if not workspaces:
            return
        heads = await workspace_heads(self.runtime.engine.pool, workspaces)
        for workspace_id, committed in heads.items():
            handed = self._heads.get(workspace_id)
            if handed is not None and committed > handed and not self._pending.get(workspace_id):
                self._fill(workspace_id, handed, committed)

    # Frames to many sockets ---------------------------------------------------------------

    def broadcast(self, workspace_id: int, data: bytes, exclude_user: int | None = None) -> None:
        for connection in self.connections.get(workspace_id, ()):
            if connection.user_id != exclude_user and not connection.replaying:
                connection.push(data)

    def fold_metrics(self) -> None:
        """Count the frames written since the last fold (each writer only adds to an int)."""
        live = sum(connection.sent for connection in self.all_connections())
        self._frames.fold(self._frames_of_gone + live)

    def all_connections(self) -> Sequence[Connection]:
        return [c for members in self.connections.values() for c in members]

    def _spawn(self, work, name: str) -> None:
        task = spawn(work, name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

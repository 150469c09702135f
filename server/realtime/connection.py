"""One agent's websocket: a bounded outgoing queue drained by its own writer task.

The hub hands events over synchronously and in sequence order; the connection decides
whether its member may see each one (the audience), remembers the highest seq it has
considered (its watermark) and never blocks the hub: when the queue is full, the
connection is closed with the resume code instead of silently dropping anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wazify.auth.principal import Principal
from wazify.lib.tasks import spawn
from wazify.ops.metrics import SLOW_CLOSES
from wazify.realtime.broker import LoggedEvent
from wazify.realtime.protocol import CLOSE_SLOW_CONSUMER

STALLED_CLOSE_SECONDS = 5.0  # how long closing a socket that stopped reading may take

# An ASGI "websocket.send" message. The hub builds one per event and every connection
# queues that same dict: the event is decoded once, however many sockets it goes to.
Frame = dict[str, Any]
Send = Callable[[Frame], Awaitable[None]]


def text_frame(data: bytes) -> Frame:
    return {"type": "websocket.send", "text": data.decode()}


Close = Callable[[int, str], Awaitable[None]]


@dataclass(eq=False)
class Connection:
    principal: Principal
    send: Send
    close_socket: Close
    queue_limit: int = 2000
    considered: int = 0
    replaying: bool = True
    presence: str = "online"
    viewing: int | None = None
    active_since_check: bool = False
    closed: bool = False
    sent: int = 0  # frames written (the hub folds them into the metrics)
    _queue: deque[Frame] = field(default_factory=deque)
    _buffer: list[tuple[LoggedEvent, Frame | None]] = field(default_factory=list)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _close: tuple[int, str] | None = None
    _sending_since: float | None = None
    writer: asyncio.Task[None] | None = None

    @property
    def workspace_id(self) -> int:
        return self.principal.workspace_id

    @property
    def user_id(self) -> int:
        return self.principal.user_id

    def offer(self, event: LoggedEvent, frame: Frame | None = None) -> None:
        """An event from the hub, in sequence order (with its prepared frame). Buffered
        while replay is running."""
        if self.closing:
            return
        if self.replaying:
            if len(self._buffer) >= self.queue_limit:
                self._overflow()
                return
            self._buffer.append((event, frame))
            return
        self._consider(event, frame)

    def _consider(self, event: LoggedEvent, frame: Frame | None) -> None:
        if event.seq <= self.considered:
            return  # already sent by replay, or a duplicate publish
        self.considered = event.seq
        if event.audience_user_id is not None and event.audience_user_id != self.user_id:
            return
        if event.audience_roles is not None and self.principal.role not in event.audience_roles:
            return
        self._enqueue(frame or text_frame(event.payload))

    def finish_replay(self, replayed_through: int) -> None:
        """Replay sent everything through `replayed_through`; release what arrived live."""
        self.considered = max(self.considered, replayed_through)
        buffered, self._buffer = self._buffer, []
        self.replaying = False
        for event, frame in buffered:
            self._consider(event, frame)

    @property
    def closing(self) -> bool:
        """A close was asked for (or done): nothing more may be queued."""
        return self.closed or self._close is not None

    def push(self, data: bytes) -> None:
        """Queue one of the protocol's own frames (heartbeat, signals, errors)."""
        self._enqueue(text_frame(data))

    def _enqueue(self, frame: Frame) -> None:
        # Once a close is pending nothing more is queued: after a slow-consumer close the
        # queue was cleared, and a frame sent after that gap would move the client's cursor
        # past events it never got (its resume would then skip them).
        if self.closing:
            return
        if len(self._queue) >= self.queue_limit:
            self._overflow()
            return
        self._queue.append(frame)
        self._wakeup.set()

    def _overflow(self) -> None:
        SLOW_CLOSES["queue_full"].inc()
        self.close_later(CLOSE_SLOW_CONSUMER, "too far behind: resume from your last seq")

    def close_later(self, code: int, reason: str) -> None:
        """Ask the writer to close after what is already queued (never silently)."""
        if self._close is None:
            self._close = (code, reason)
            if code == CLOSE_SLOW_CONSUMER:
                self._queue.clear()  # it resumes from its last applied seq: nothing is lost
            self._wakeup.set()

    def stalled_for(self, now: float) -> float:
        """Seconds the current send has been waiting for the client to read (0 if none)."""
        return 0.0 if self._sending_since is None else now - self._sending_since

    def abandon_stalled(self) -> None:
        """The client stopped reading: its socket buffers are full and a send has waited
        too long. Drop what is queued (it resumes from its last applied seq), stop the
        writer and close with the resume code; the close reaches the client when it reads."""
        if not self.closing:
            SLOW_CLOSES["stalled"].inc()
        self.close_later(CLOSE_SLOW_CONSUMER, "not reading: resume from your last seq")
        self.closed = True
        if self.writer is not None:
            self.writer.cancel()
        code, reason = self._close or (CLOSE_SLOW_CONSUMER, "")
        spawn(self._close_within(code, reason, STALLED_CLOSE_SECONDS), "ws-close-stalled")

    async def _close_within(self, code: int, reason: str, seconds: float) -> None:
        # A client that does not read may never take the close: its link is cut anyway.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.close_socket(code, reason), timeout=seconds)

    async def write_forever(self) -> None:
        """The writer task: sends queued frames in order, then closes when asked."""
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue:
                    self._sending_since = time.monotonic()
                    await self.send(self._queue.popleft())
                    self._sending_since = None
                    self.sent += 1
                if self._close is not None:
                    code, reason = self._close
                    self.closed = True
                    await self.close_socket(code, reason)
                    return
        finally:
            self.closed = True

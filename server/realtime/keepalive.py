"""The websocket transport: uvicorn's sans-I/O protocol, whose keepalive ends in the resume code.

A slow agent is one that stopped reading. Its socket's bounded queue only fills once the
kernel's buffers on both ends are full, which on a fast link is megabytes, minutes of
events: the queue limit alone never notices. A ping, though, is queued behind every frame
already sent, so its pong comes back only once the client has read all of them. An
unanswered ping therefore means the client is at least the ping timeout behind (or gone),
whatever the buffers hide. uvicorn closes such a socket with 1011; this subclass closes it
with CLOSE_SLOW_CONSUMER instead, which tells the client to reconnect from its last seq,
and lets the application forget the connection at once.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from wazify.ops.metrics import SLOW_CLOSES
from wazify.realtime.protocol import CLOSE_SLOW_CONSUMER

NOT_READING = "not reading: resume from your last seq"
# How long a socket that stopped reading keeps its connection after the close frame: time
# for the client to read what is buffered and the close itself. Then it is cut.
CLOSE_GRACE_SECONDS = 30.0


class ResumableWebSocketProtocol(WebSocketsSansIOProtocol):
    not_reading = False

    def keepalive_timeout(self) -> None:
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        SLOW_CLOSES["not_reading"].inc()
        # The application sees the socket end now: its writer stops queueing frames that
        # the client would only have to skip when it resumes.
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": CLOSE_SLOW_CONSUMER, "reason": NOT_READING}
        )
        self.conn.send_close(CLOSE_SLOW_CONSUMER, NOT_READING)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.not_reading = True
        # A send the application is blocked in (the socket's buffers are full) or makes
        # later ends with ClientDisconnected, as for a socket that is gone.
        self.disconnected = True
        self.writable.set()
        if self.read_paused:  # read the client's close reply when it comes
            self.read_paused = False
            self.transport.resume_reading()
        # A close() would wait for the unread buffer to drain, possibly forever.
        self.close_timer = self.loop.call_later(CLOSE_GRACE_SECONDS, self.transport.abort)

    def shutdown(self) -> None:
        if self.not_reading:
            # uvicorn would close() and wait for a client that may never read: cut it.
            self.stop_keepalive()
            if self.close_timer is not None:
                self.close_timer.cancel()
                self.close_timer = None
            self.transport.abort()
            return
        super().shutdown()

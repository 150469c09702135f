"""`/api/v1/ws`: the live stream. Protocol in docs/realtime.md.

Connect with `?since=<the last seq you applied>` (the bootstrap's seq for a fresh client).
The server subscribes first, replays everything after `since` that this member may see
from Postgres, then streams live, skipping any seq already sent: no gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import urlsplit

from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect

from wazify.auth.guards import optional_principal
from wazify.auth.principal import Principal, header
from wazify.lib.inputs import parse_bounded_int
from wazify.lib.tasks import spawn
from wazify.realtime.connection import Connection
from wazify.realtime.protocol import (
    CLOSE_RESYNC,
    BadFrame,
    ClientPing,
    ClientPresence,
    ClientTyping,
    ClientViewing,
    Error,
    Pong,
    Ready,
    Resync,
    decode_client_frame,
    encode_frame,
)
from wazify.realtime.replay import check_cursor, replay
from wazify.realtime.service import Realtime
from wazify.workers.sender_actions import notify_typing, notify_viewing

log = logging.getLogger("wazify.ws")
TYPING_MIN_INTERVAL = 1.0  # seconds between typing signals from one socket
CLOSE_TIMEOUT = 10.0  # seconds the writer gets to deliver a final frame and the close


def _origin_allowed(socket: WebSocket, public_url: str) -> bool:
    """Browsers send Origin; a cookie-authenticated socket must come from our own pages."""
    origin = header(socket.scope, b"origin")
    if origin is None:
        return False
    allowed = {_origin_of(public_url)}
    host = header(socket.scope, b"host")
    if host:
        allowed |= {f"http://{host}", f"https://{host}"}
    return origin.rstrip("/") in allowed


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _since(socket: WebSocket) -> int | None:
    raw = socket.query_params.get("since")
    return None if raw is None else parse_bounded_int(raw, low=0)  # a seq is a bigint


@websocket("/api/v1/ws")
async def live_stream(socket: WebSocket, realtime: NamedDependency[Realtime]) -> None:
    principal = optional_principal(socket.scope)
    settings = realtime.runtime.settings
    if principal is None:
        await socket.close(code=4001, reason="sign in first")  # before accept: HTTP 403
        return
    if principal.via == "session" and not _origin_allowed(socket, settings.public_url):
        await socket.close(code=4003, reason="foreign origin")  # before accept: HTTP 403
        return
    await socket.accept()
    since = _since(socket)
    if since is None:
        error = Error(code="since_required", message="connect with ?since=<last applied seq>")
        await socket.send_text(encode_frame(error).decode())
        await socket.close(code=1008, reason="since required")
        return
    await _serve(socket, realtime, principal, since)


async def _serve(socket: WebSocket, realtime: Realtime, principal: Principal, since: int) -> None:
    async def close(code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await socket.close(code=code, reason=reason)

    connection = Connection(principal, socket.send, close, queue_limit=realtime.queue_limit)
    writer = connection.writer = spawn(
        connection.write_forever(), f"ws-writer-user-{principal.user_id}"
    )
    try:
        await realtime.hub.register(connection)  # subscribe first, then replay
        if await _catch_up(socket, realtime, connection, since):
            await realtime.report_presence(connection.workspace_id, connection.user_id)
            await _read_client_frames(socket, realtime, connection)
        else:
            # A resync (or a close asked for during replay): let the writer send what is
            # queued and the close code, rather than cancelling it with the frame unsent.
            await asyncio.wait([writer], timeout=CLOSE_TIMEOUT)
    except WebSocketDisconnect:
        pass
    except OSError as error:  # a send to a socket dropped as not reading, or a lost link
        log.info("websocket of user %s ended: %r", principal.user_id, error)
    finally:
        realtime.hub.unregister(connection)
        connection.closed = True
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        with contextlib.suppress(Exception):
            await realtime.report_presence(connection.workspace_id, connection.user_id)


async def _catch_up(
    socket: WebSocket, realtime: Realtime, connection: Connection, since: int
) -> bool:
    pool = realtime.runtime.engine.pool
    verdict, head = await check_cursor(pool, connection.workspace_id, since)
    if verdict != "ok":
        message = (
            "events after your cursor were swept: reload the snapshot"
            if verdict == "expired"
            else "unknown cursor: reload the snapshot"
        )
        connection.push(encode_frame(Resync(reason=verdict, message=message)))
        connection.finish_replay(head)
        connection.close_later(CLOSE_RESYNC, "resync required")
        return False
    principal = connection.principal
    # Replayed frames go straight out, before the writer starts, so a long catch-up is
    # paced by the socket rather than overflowing the live queue.
    async for _, payload in replay(
        pool, connection.workspace_id, since, head, principal.user_id, principal.role
    ):
        if connection.closing:  # revoked meanwhile: the writer closes with its code
            return False
        await socket.send_text(payload)
        connection.sent += 1
    connection.finish_replay(head)
    connection.push(encode_frame(Ready(seq=head)))
    return True


async def _read_client_frames(
    socket: WebSocket, realtime: Realtime, connection: Connection
) -> None:
    last_typing = 0.0
    while not connection.closed:
        data = await socket.receive_text()
        try:
            frame = decode_client_frame(data)
        except BadFrame as error:
            connection.push(encode_frame(Error(code="bad_frame", message=str(error))))
            continue
        connection.active_since_check = True
        if isinstance(frame, ClientPing):
            connection.push(encode_frame(Pong()))
        elif isinstance(frame, ClientTyping):
            if time.monotonic() - last_typing >= TYPING_MIN_INTERVAL:
                last_typing = time.monotonic()
                await realtime.send_typing(connection, frame.conversation_id)
                notify_typing(realtime.runtime, connection.workspace_id, frame.conversation_id)
        elif isinstance(frame, ClientViewing | ClientPresence):
            if isinstance(frame, ClientViewing):
                connection.viewing = frame.conversation_id
                notify_viewing(realtime.runtime, connection.workspace_id, frame.conversation_id)
            else:
                connection.presence = frame.state
            await realtime.report_presence(connection.workspace_id, connection.user_id)

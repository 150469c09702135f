"""A client that stops reading: once a send has waited longer than the stall limit, the
socket is dropped with the resume code and nothing more is queued for it."""

from __future__ import annotations

import asyncio

from wazify.auth.principal import Principal
from wazify.realtime.broker import LoggedEvent
from wazify.realtime.connection import Connection
from wazify.realtime.protocol import CLOSE_SLOW_CONSUMER
from wazify.realtime.service import Realtime

PRINCIPAL = Principal(
    user_id=1, workspace_id=1, role="agent", email="a@example.com", name="a", via="session"
)


async def test_a_send_blocked_past_the_stall_limit_closes_with_the_resume_code(
    shared_runtime,
) -> None:
    never = asyncio.Event()
    closed: list[tuple[int, str]] = []

    async def blocked_send(frame: dict) -> None:
        await never.wait()  # the client's buffers are full: this send never completes

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    realtime = Realtime(shared_runtime, stall_seconds=0.05)
    connection = Connection(PRINCIPAL, blocked_send, close)
    connection.writer = asyncio.create_task(connection.write_forever())
    realtime.hub.connections[1] = {connection}
    connection.finish_replay(0)
    connection.offer(LoggedEvent(1, 1, None, None, b'{"seq":1}'))
    await asyncio.sleep(0.1)
    assert connection.stalled_for(asyncio.get_running_loop().time() * 0 + 1e12) > 0
    realtime.drop_stalled()
    await asyncio.sleep(0.05)
    assert closed and closed[0][0] == CLOSE_SLOW_CONSUMER
    assert connection.writer.cancelled() or connection.writer.done()
    connection.offer(LoggedEvent(1, 2, None, None, b'{"seq":2}'))
    assert connection.closing and not connection._queue  # nothing more is kept for it

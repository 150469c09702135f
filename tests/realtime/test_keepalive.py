"""The websocket keepalive: a client that stops reading never answers the server's ping (it
waits behind every frame already sent), so once the pong timeout passes the socket is
closed with the resume code and the application forgets it; a client that reads stays."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import msgspec
import pytest
import uvicorn
import websockets
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from tests.realtime.conftest import ORIGIN, Served, connect, emit, eventually
from tests.support.live import live_server
from tests.support.world import Member
from wazify.app import create_app
from wazify.cli.serve import server_options
from wazify.ops.metrics import SLOW_CLOSES
from wazify.realtime import keepalive
from wazify.realtime.keepalive import NOT_READING, ResumableWebSocketProtocol
from wazify.realtime.protocol import CLOSE_SLOW_CONSUMER
from wazify.runtime import Runtime
from wazify.settings import Settings

PING = 0.3  # seconds between the server's pings
PONG_TIMEOUT = 0.5  # seconds a pong may take
EVENT_SIZE = 16_000


@pytest.fixture
async def served(settings: Settings, runtime: Runtime) -> AsyncIterator[Served]:
    """The app served as `wazify serve` serves it, with short keepalive intervals. Only the
    keepalive may notice a client that stopped reading: the stalled-send check and the
    queue limit (the other two ways to drop a slow consumer) are pushed out of reach."""
    changed = msgspec.structs.replace(
        settings, realtime_ping_seconds=PING, realtime_pong_timeout_seconds=PONG_TIMEOUT
    )
    app = create_app(changed, runtime=runtime)
    # A failed test may leave a socket that nobody reads: shutdown must not wait for it.
    options = {**server_options(changed), "timeout_graceful_shutdown": 3}
    async with live_server(app, **options) as address:
        served = Served(address, app)
        served.realtime.stall_seconds = 3600
        served.realtime.queue_limit = 1_000_000
        yield served


async def non_reading_client(address: str, member: Member) -> websockets.ClientConnection:
    """A frozen tab on a poor link: a small receive buffer and a client library that stops
    reading from TCP as soon as one message waits (max_queue=1). It reads up to `ready`,
    then never again until the test says so."""
    host, port = address.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.setblocking(False)
    client = await websockets.connect(
        f"ws://{address}/api/v1/ws?since=1",
        additional_headers={**member.cookie_only, "Origin": ORIGIN},
        max_queue=1,
        compression=None,
        sock=sock,
    )
    async with asyncio.timeout(5):
        while json.loads(await client.recv())["type"] != "ready":
            pass
    return client


async def read_to_the_end(
    client: websockets.ClientConnection,
) -> tuple[list[int], websockets.ConnectionClosed]:
    """Everything still buffered for the client, then how the connection ended."""
    seqs: list[int] = []
    with pytest.raises(websockets.ConnectionClosed) as ended:
        async with asyncio.timeout(15):
            while True:
                frame = json.loads(await client.recv())
                if "seq" in frame and "workspace_id" in frame:
                    seqs.append(frame["seq"])
    return seqs, ended.value


def websocket_protocols(served: Served) -> list[WebSocketsSansIOProtocol]:
    """uvicorn's protocol instances of the server's open websockets."""
    connections = served.address.server.server_state.connections  # type: ignore[attr-defined]
    return [c for c in connections if isinstance(c, WebSocketsSansIOProtocol)]


def shrink_send_buffer(protocol: WebSocketsSansIOProtocol) -> None:
    """A congested link: the kernel takes a few kB of the server's output, not megabytes
    (loopback's autotuned send buffer), so what the client does not read piles up in the
    transport's buffer and the application's writer blocks on the socket, as on a real
    network."""
    protocol.transport.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
    )


@dataclass
class Stream:
    committed: list[int] = field(default_factory=list)
    writer_blocked: bool = False  # the app's writer waited on the socket: a backlog
    forgotten_after: float = 0.0


async def stream_until_forgotten(served: Served, runtime: Runtime, workspace_id: int) -> Stream:
    """Events keep coming for the (only) socket, whose client reads nothing, until the
    server forgets the socket. The server's ping waits behind them: no pong comes back."""
    hub = served.realtime.hub
    (connection,) = hub.all_connections()
    stream = Stream()
    started = time.monotonic()
    try:
        async with asyncio.timeout(10):
            while connection in hub.connections.get(workspace_id, ()):
                stream.committed += await emit(runtime, workspace_id, 4, size=EVENT_SIZE)
                if connection.stalled_for(time.monotonic()) > 0:
                    stream.writer_blocked = True
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(
            "the server still holds a socket that stopped reading 10 s ago"
        ) from None
    stream.forgotten_after = time.monotonic() - started
    return stream


async def test_a_client_that_stops_reading_is_closed_with_the_resume_code(
    served, world, runtime
) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")  # seq 1
    client = await non_reading_client(served.address, alice)
    (protocol,) = websocket_protocols(served)
    assert isinstance(protocol, ResumableWebSocketProtocol)
    shrink_send_buffer(protocol)
    (connection,) = served.realtime.hub.all_connections()
    closes_before = SLOW_CLOSES["not_reading"]._value.get()
    stream = await stream_until_forgotten(served, runtime, workspace_id)
    committed = stream.committed
    assert stream.writer_blocked
    assert SLOW_CLOSES["not_reading"]._value.get() == closes_before + 1  # in /metrics
    # The server forgot it within one ping and its timeout (plus scheduling slack)...
    assert stream.forgotten_after < PING + PONG_TIMEOUT + 2.5
    assert connection.closed and connection.writer is not None
    await eventually(connection.writer.done, timeout=2)
    assert workspace_id not in served.realtime.hub.connections  # its only socket
    assert protocol.conn.close_sent is not None
    assert protocol.conn.close_sent.code == CLOSE_SLOW_CONSUMER
    committed += await emit(runtime, workspace_id, 3)  # never queued for it any more
    # ...while the client, still not reading, had not seen anything of it.
    assert client.protocol.close_rcvd is None
    # When it reads at last: what was sent before the close, then the resume code.
    received, ended = await read_to_the_end(client)
    assert ended.rcvd is not None, f"no close frame: {ended!r}"
    assert (ended.rcvd.code, ended.rcvd.reason) == (CLOSE_SLOW_CONSUMER, NOT_READING)
    # A gapless prefix: resuming from its last seq loses nothing and repeats nothing.
    assert received == committed[: len(received)]
    assert len(received) < len(committed)
    resumed = await connect(served.address, alice, since=received[-1] if received else 1)
    await resumed.wait_ready(timeout=10)
    assert received + resumed.seqs() == committed
    await resumed.close()


async def test_a_socket_that_never_reads_the_close_is_cut_after_the_grace(
    served, world, runtime, monkeypatch
) -> None:
    grace = 1.0
    monkeypatch.setattr(keepalive, "CLOSE_GRACE_SECONDS", grace)
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    client = await non_reading_client(served.address, alice)
    (protocol,) = websocket_protocols(served)
    shrink_send_buffer(protocol)
    stream = await stream_until_forgotten(served, runtime, workspace_id)
    assert stream.writer_blocked
    # The close frame waits behind the backlog; the connection lives on for the grace...
    assert protocol.close_sent and not protocol.transport.is_closing()
    assert protocol in websocket_protocols(served)
    # ...and is then cut, although the client never read.
    await eventually(lambda: protocol not in websocket_protocols(served), timeout=grace + 2)
    assert protocol.disconnected
    # The unsent backlog went with it, close frame included: the client, reading at last,
    # finds the connection ended without a closing handshake.
    _, ended = await read_to_the_end(client)
    assert ended.rcvd is None, f"expected a cut connection, got {ended!r}"


async def test_a_reading_client_stays_connected_across_pings(served, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(served.address, alice, since=1)
    await agent.wait_ready()
    (connection,) = served.realtime.hub.all_connections()
    (protocol,) = websocket_protocols(served)
    first_ping = protocol.ping_sent_at
    await asyncio.sleep(6 * PING + PONG_TIMEOUT)  # several pings, each answered in time
    assert protocol.ping_sent_at > first_ping + 3 * PING  # pings went on: pongs came back
    assert protocol.last_ping_rtt > 0
    assert agent.closed is None and not protocol.close_sent
    assert connection in served.realtime.hub.connections[workspace_id]
    assert not connection.closing
    seqs = await emit(runtime, workspace_id, 2)
    await agent.wait_for(lambda a: a.seqs() == seqs)
    await asyncio.sleep(3 * PING)
    assert agent.closed is None
    await agent.close()


def test_the_server_options_use_the_resumable_protocol_and_the_ping_settings(
    settings: Settings,
) -> None:
    assert (settings.realtime_ping_seconds, settings.realtime_pong_timeout_seconds) == (10, 10)
    options = server_options(settings)
    assert options["ws"] is ResumableWebSocketProtocol
    assert (options["ws_ping_interval"], options["ws_ping_timeout"]) == (10, 10)
    changed = msgspec.structs.replace(
        settings, realtime_ping_seconds=7.5, realtime_pong_timeout_seconds=2
    )
    options = server_options(changed)
    assert (options["ws_ping_interval"], options["ws_ping_timeout"]) == (7.5, 2)
    assert options["ws_per_message_deflate"] is False
    # uvicorn takes the class as it is.
    config = uvicorn.Config(_asgi_app, lifespan="off", **options)
    config.load()
    assert config.ws_protocol_class is ResumableWebSocketProtocol
    assert issubclass(ResumableWebSocketProtocol, WebSocketsSansIOProtocol)
    assert (config.ws_ping_interval, config.ws_ping_timeout) == (7.5, 2)


async def _asgi_app(scope, receive, send) -> None:  # pragma: no cover - never called
    raise AssertionError("not served")


async def test_shutdown_does_not_wait_for_a_socket_that_never_reads(
    settings, world, runtime
) -> None:
    """uvicorn closes a socket whose close frame was sent by waiting for its buffer to
    drain: for a client that never reads, shutdown would wait forever."""
    changed = msgspec.structs.replace(
        settings, realtime_ping_seconds=PING, realtime_pong_timeout_seconds=PONG_TIMEOUT
    )
    app = create_app(changed, runtime=runtime)
    server = live_server(app, **server_options(changed))  # no graceful-shutdown limit
    address = await server.__aenter__()
    served = Served(address, app)
    served.realtime.stall_seconds = 3600
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    client = await non_reading_client(address, alice)
    (protocol,) = websocket_protocols(served)
    shrink_send_buffer(protocol)
    await stream_until_forgotten(served, runtime, workspace_id)
    assert protocol.close_sent and not protocol.transport.is_closing()
    started = time.monotonic()
    await asyncio.wait_for(server.__aexit__(None, None, None), 10)
    assert time.monotonic() - started < 5
    await client.close()

"""Fan-out scenarios that need their own clients: a slow agent, and many idle sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request

import websockets

from bench.fanout_servers import EMAIL, PASSWORD, ProjectServer

SLOW_CLOSE_CODE = 4008


def login(server: ProjectServer) -> tuple[str, int]:
    base = f"http://127.0.0.1:{server.port}"
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        data=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    boot = urllib.request.Request(f"{base}/api/v1/bootstrap", headers={"Cookie": cookie})
    with urllib.request.urlopen(boot) as response:
        return cookie, json.loads(response.read())["seq"]


async def _connect(server: ProjectServer, cookie: str, seq: int, **options):
    return await websockets.connect(
        f"ws://127.0.0.1:{server.port}/api/v1/ws?since={seq}",
        additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}"},
        **options,
    )


async def slow_agent(server: ProjectServer, run_loadgen) -> list[dict]:
    """Everyone's p99 without, then with, one agent that stops reading for the whole run."""
    from bench.fanout import row

    baseline = await asyncio.to_thread(run_loadgen)
    cookie, seq = login(server)
    # A frozen tab on a poor link: the client stops reading from TCP once one frame is
    # waiting (max_queue=1) and its receive buffer is small, so the server's sends block.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.setblocking(False)
    slow = await _connect(server, cookie, seq, max_queue=1, sock=sock)
    loaded = await asyncio.to_thread(run_loadgen)
    frames, code = 0, None
    try:
        while True:
            await asyncio.wait_for(slow.recv(), 10)
            frames += 1
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        code = "still open"
    return [
        row("slow: others' deliveries, no slow agent", baseline),
        row("slow: others' deliveries, one agent not reading", loaded),
        {
            "label": "slow: the slow agent",
            "frames_before_close": frames,
            "close_code": code,
            "closed_with_resume_code": code == SLOW_CLOSE_CODE,
        },
    ]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def idle_sockets(server: ProjectServer, count: int) -> dict:
    cookie, seq = login(server)
    before = _rss_kb(server.pid)
    slots = asyncio.Semaphore(100)

    async def one():
        async with slots:
            return await _connect(server, cookie, seq)

    sockets = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    opened = [s for s in sockets if not isinstance(s, BaseException)]
    await asyncio.sleep(3)
    after = _rss_kb(server.pid)
    for connection in opened:
        await connection.close()
    return {
        "label": f"idle: {count} sockets",
        "opened": len(opened),
        "rss_before_kb": before,
        "rss_after_kb": after,
        "kb_per_socket": round((after - before) / max(1, len(opened)), 1),
    }

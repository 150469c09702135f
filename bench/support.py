"""Instruments shared by the benchmarks: an HTTP/1.1 poster, percentiles, CPU time."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from collections import Counter

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentiles(values_ns: list[int]) -> dict[str, float | int | None]:
    """p50/p99/p99.9/max in milliseconds (nearest rank, exact: every value kept)."""
    ordered = sorted(values_ns)

    def rank(q: float) -> float | None:
        if not ordered:
            return None
        index = max(0, min(len(ordered) - 1, -int(-q * len(ordered) // 1) - 1))
        return round(ordered[index] / 1e6, 2)

    return {
        "n": len(ordered),
        "p50": rank(0.5),
        "p99": rank(0.99),
        "p99.9": rank(0.999),
        "max": rank(1.0),
    }


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children that are still alive."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class HttpPoster:
    """Keep-alive HTTP/1.1 POSTs over a bounded pool of connections (loopback only).

    Latency is measured from the intended send time when one is given (open loop)."""

    def __init__(self, host: str, port: int, path: str, connections: int) -> None:
        self.host, self.port, self.path = host, port, path
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(connections)
        self.reset()

    def reset(self) -> None:
        self.status: Counter[str] = Counter()
        self.latencies: list[int] = []

    async def post(
        self, body: bytes, headers: dict[str, str], intended_ns: int | None = None
    ) -> int | None:
        """POST and return the monotonic time of the answer, or None on failure."""
        start = intended_ns or time.monotonic_ns()
        head = f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        request = head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body
        async with self._slots:
            status = None
            while True:
                connection = self._idle.pop(0) if self._idle else None
                reused = connection is not None
                try:
                    if connection is None:
                        connection = await asyncio.open_connection(self.host, self.port)
                    status = await self._exchange(connection, request)
                    break
                except (OSError, asyncio.IncompleteReadError) as error:
                    if connection is not None:
                        connection[1].close()
                    # A kept-alive connection the server closed while idle: try the next
                    # one (the pool is used oldest first, so stale ones surface quickly).
                    if not reused:
                        self.status[type(error).__name__] += 1
                        return None
            self._idle.append(connection)
        done = time.monotonic_ns()
        self.status[str(status)] += 1
        self.latencies.append(done - start)
        return done

    @staticmethod
    async def _exchange(connection, request: bytes) -> int:
        reader, writer = connection
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        match = _CONTENT_LENGTH.search(head)
        if match:
            await reader.readexactly(int(match.group(1)))
        return int(head[9:12])

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()

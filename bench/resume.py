"""Resume benchmark: how long an agent who was away takes to catch up after reconnecting.

    python bench/resume.py                  # 10 s away at 50 events/s, then 10,000 behind
    python bench/resume.py --offline 10 --rate 50 --behind 10000 --trials 5

It starts `wazify serve` on a fresh database of the given PostgreSQL server (and Redis),
registers the fake Meta's account, signs in an agent created with `wazify user create`, and
makes the events a real inbox makes: signed webhook deliveries of customers' messages (one
message.created each, about 1.5 kB with its conversation). Then, for each scenario, the
agent reconnects with `?since=<its cursor>` and the clock runs from the connect call to the
`ready` frame, after every missed event has arrived; the seqs must be exactly cursor+1 ..
head, in order. Each reconnect repeats the same catch-up (the first with the coldest
caches): every time is listed, with the median, the worst, the handshake and first-event
times, and the server's CPU (from /proc, 10 ms ticks).
Target: <= 200 ms for 10 s away.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ingest import SECRET, Server
from bench.support import HttpPoster, cpu_seconds
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message

CONTACTS = 50
PASSWORD = "bench password, long enough"
_frame = msgspec.json.Decoder()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offline", type=float, default=10, help="seconds the agent is away")
    parser.add_argument("--rate", type=float, default=50, help="events per second meanwhile")
    parser.add_argument("--behind", type=int, default=10_000, help="events of the second case")
    parser.add_argument("--trials", type=int, default=5, help="catch-ups measured per case")
    parser.add_argument(
        "--no-compression", action="store_true", help="no permessage-deflate (browsers use it)"
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "WAZIFY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("WAZIFY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    return parser.parse_args()


class Messages:
    """Signed-ready bodies of customers' text messages, to CONTACTS customers in turn."""

    def __init__(self) -> None:
        self.run = secrets.token_hex(3)
        self.count = 0

    def next(self, batch: int = 1) -> bytes:
        items = []
        for _ in range(batch):
            number = self.count
            self.count += 1
            contact = f"7{number % CONTACTS:015d}"
            mid = f"resume-{self.run}-{number}"
            items.append(text_message(ACCOUNT, contact, f"message {number}: is it in stock?", mid))
        return encode_body(body([entry(ACCOUNT, items)]))


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.server = Server(args.admin_url, args.redis_url)
        self.messages = Messages()
        self.headers: dict[str, str] = {}

    async def start(self) -> None:
        await self.server.start()
        subprocess.run(
            [
                *(sys.executable, "-m", "wazify.cli", "user", "create", "--workspace", "main"),
                *("--email", "agent@bench.local", "--role", "agent"),
            ],
            input=PASSWORD.encode(),
            env=self.server.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient(base_url=self.base) as client:
            response = await client.post(
                "/api/v1/auth/login", json={"email": "agent@bench.local", "password": PASSWORD}
            )
            response.raise_for_status()
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        self.headers = {"Cookie": cookie, "Origin": f"http://localhost:{self.server.port}"}
        self.db = await asyncpg.connect(self.server.dsn)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def stop(self) -> None:
        if getattr(self, "db", None) is not None:
            await self.db.close()
        await self.server.stop()

    async def head(self) -> int:
        return await self.db.fetchval("SELECT max(last_seq) FROM workspace_counters")

    async def settled(self, expected: int, timeout: float = 300) -> int:
        """Wait until every delivery is processed and the log holds `expected` events."""
        async with asyncio.timeout(timeout):
            while True:
                pending = await self.db.fetchval(
                    "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
                )
                head = await self.head()
                if not pending and head >= expected:
                    return head
                await asyncio.sleep(0.05)

    async def post(self, poster: HttpPoster, raw: bytes, due: int | None = None) -> None:
        await poster.post(raw, signed(raw, SECRET), intended_ns=due)

    async def at_rate(self, rate: float, seconds: float) -> int:
        """Open loop: one single-message delivery every 1/rate s; returns how many."""
        poster = HttpPoster("127.0.0.1", self.server.port, "/webhooks/instagram", 16)
        count = int(rate * seconds)
        t0 = time.monotonic_ns()
        tasks = []
        for number in range(count):
            due = t0 + int(number * 1e9 / rate)
            delay = (due - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.post(poster, self.messages.next(), due)))
        await asyncio.gather(*tasks)
        await poster.close()
        assert set(poster.status) == {"200"}, poster.status
        return count

    async def burst(self, count: int, batch: int = 100) -> int:
        poster = HttpPoster("127.0.0.1", self.server.port, "/webhooks/instagram", 8)
        bodies = [self.messages.next(min(batch, count - n)) for n in range(0, count, batch)]
        await asyncio.gather(*(self.post(poster, raw) for raw in bodies))
        await poster.close()
        assert set(poster.status) == {"200"}, poster.status
        return count

    async def catch_up(self, since: int, head: int) -> dict[str, float]:
        """Reconnect from `since`: ms to the handshake, to the first event and to `ready`
        (with every event in order), and the server's CPU ms meanwhile."""
        cpu = cpu_seconds(self.server.process.pid)
        client_cpu = time.process_time()
        started = time.perf_counter()
        seqs: list[int] = []
        first = 0.0
        async with websockets.connect(
            f"ws://127.0.0.1:{self.server.port}/api/v1/ws?since={since}",
            additional_headers=self.headers,
            max_size=None,
            compression=None if self.args.no_compression else "deflate",
        ) as socket:
            handshake = time.perf_counter()
            while True:
                frame = _frame.decode(await socket.recv())
                if "seq" in frame and "workspace_id" in frame:
                    first = first or time.perf_counter()
                    seqs.append(frame["seq"])
                elif frame["type"] == "ready":
                    ready = time.perf_counter()
                    assert frame["seq"] == head, (frame, head)
                    break
                elif frame["type"] in ("resync", "error"):
                    raise RuntimeError(frame)
        assert seqs == list(range(since + 1, head + 1)), "missing, duplicate or out of order"
        return {
            "ready": (ready - started) * 1000,
            "handshake": (handshake - started) * 1000,
            "first_event": ((first or ready) - started) * 1000,
            "cpu": (cpu_seconds(self.server.process.pid) - cpu) * 1000,
            "client_cpu": (time.process_time() - client_cpu) * 1000,
        }

    async def measure(self, since: int, head: int) -> dict:
        runs = [await self.catch_up(since, head) for _ in range(self.args.trials)]

        def median(key: str) -> float:
            return round(statistics.median(run[key] for run in runs), 1)

        times = [run["ready"] for run in runs]
        return {
            "events": head - since,
            "ready_ms_each": [round(ms, 1) for ms in times],
            "ready_ms_median": median("ready"),
            "ready_ms_max": round(max(times), 1),
            "handshake_ms_median": median("handshake"),
            "first_event_ms_median": median("first_event"),
            "events_per_s_median": round((head - since) / median("ready") * 1000),
            "server_cpu_ms_median": median("cpu"),
            "client_cpu_ms_median": median("client_cpu"),
            "in_order_complete": True,
        }


async def run(args: argparse.Namespace) -> dict:
    bench = Bench(args)
    await bench.start()
    try:
        # Every customer writes once first: later messages are one event each.
        await bench.burst(CONTACTS, batch=CONTACTS)
        cursor = await bench.settled(0)
        sent = await bench.at_rate(args.rate, args.offline)  # the agent is away meanwhile
        head = await bench.settled(cursor + sent)
        away = await bench.measure(cursor, head)
        away |= {"offline_s": args.offline, "offered_events_per_s": args.rate}
        cursor = head
        sent = await bench.burst(args.behind)
        head = await bench.settled(cursor + sent)
        behind = await bench.measure(cursor, head)
    finally:
        await bench.stop()
    return {
        "compression": not args.no_compression,
        "offline": away,
        "behind": behind,
        "target_offline_ms": 200,
    }


def main() -> None:
    result = asyncio.run(run(parse_args()))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

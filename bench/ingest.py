"""Webhook ingest benchmark: signed deliveries into a server started as a user would.

    python bench/ingest.py --rate 500 --duration 30            # single-message POSTs, open loop
    python bench/ingest.py --rate 2000 --duration 60 --redeliver   # a redelivery burst
    python bench/ingest.py --batch 100 --count 300 --full-speed    # batched deliveries
    python bench/ingest.py --rate 300 --duration 10 --auto-assign  # every new conversation
                                                                   # goes through a decision

It starts `wazify serve` on a fresh database of the given PostgreSQL server (and Redis, so
the events can be watched), registers the fake Meta's account with `wazify instagram add`,
then posts signed bodies at a fixed offered rate. Latency is measured from each POST's
intended send time (open loop: a stall shows up instead of hiding). Afterwards it waits for
the backlog to drain and counts the messages stored, which must equal those sent. The lag
from acknowledgement to the event's publication is read off Redis pub/sub.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import msgspec
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.support import HttpPoster, cpu_seconds, free_port, percentiles
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message
from wazify.lib.crypto import generate_key
from wazify.realtime.broker import channel_names, decode_wire, pass_push_through

SECRET = "bench-app-secret"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=500, help="POSTs per second offered")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load")
    parser.add_argument("--count", type=int, help="POSTs to send (instead of rate x duration)")
    parser.add_argument("--batch", type=int, default=1, help="messages per POST")
    parser.add_argument(
        "--full-speed", action="store_true", help="closed loop, as fast as possible"
    )
    parser.add_argument("--redeliver", action="store_true", help="re-post already sent bodies")
    parser.add_argument(
        "--auto-assign",
        action="store_true",
        help="auto-assignment on: 4 members, each taking an eighth of the conversations",
    )
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections")
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


def make_bodies(count: int, batch: int) -> list[tuple[bytes, list[str]]]:
    """Signed-ready bodies, each with `batch` text messages of unique mids."""
    run = secrets.token_hex(3)
    made = []
    for number in range(count):
        mids = [f"bench-{run}-{number}-{k}" for k in range(batch)]
        items = [text_message(ACCOUNT, f"7{number % 5000:015d}", f"hello {m}", mid=m) for m in mids]
        made.append((encode_body(body([entry(ACCOUNT, items)])), mids))
    return made


class Server:
    def __init__(self, admin_url: str, redis_url: str) -> None:
        self.admin_url, self.redis_url = admin_url, redis_url
        self.database = f"wazify_bench_{secrets.token_hex(4)}"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.token_key = generate_key()

    @property
    def dsn(self) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + self.database

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.dsn,
            "REDIS_URL": self.redis_url,
            "WAZIFY_TOKEN_KEYS": self.token_key,
            "META_APP_SECRETS": SECRET,
            "WAZIFY_PORT": str(self.port),
            "WAZIFY_LOG_LEVEL": "WARNING",
        }

    async def start(self) -> None:
        admin = await asyncpg.connect(self.admin_url)
        await admin.execute(f'CREATE DATABASE "{self.database}"')
        await admin.close()
        env = self.env()
        cli = [sys.executable, "-m", "wazify.cli"]
        self.process = self.launch([*cli, "serve"], env)
        await self._wait_ready()
        subprocess.run(
            [
                *cli,
                "instagram",
                "add",
                "--workspace",
                "main",
                "--ig-id",
                ACCOUNT,
                "--username",
                "bench",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def launch(self, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise RuntimeError("the server did not start")

    async def namespace(self) -> str:
        """The installation id that names the server's Redis channels."""
        connection = await asyncpg.connect(self.dsn)
        try:
            return await connection.fetchval("SELECT id FROM installation") or ""
        finally:
            await connection.close()

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
        admin = await asyncpg.connect(self.admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        await admin.close()


class _Mid(msgspec.Struct):
    mid: str | None = None


class _Probe(msgspec.Struct):
    """The two fields the watch needs, decoded without the rest of each event's JSON (the
    watch runs on the same two cores as the server it measures)."""

    type: str
    message: _Mid | None = None


_probe = msgspec.json.Decoder(_Probe)


class PublishWatch:
    """Times each message.created event's arrival on Redis pub/sub, by mid."""

    def __init__(self, redis_url: str, namespace: str) -> None:
        self.channel = channel_names(namespace)[0]
        self.client = aioredis.Redis.from_url(redis_url)
        self.published: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = self.client.pubsub(
            ignore_subscribe_messages=True, push_handler_func=pass_push_through
        )
        await pubsub.subscribe(self.channel)
        self._task = asyncio.create_task(self._read(pubsub))

    async def _read(self, pubsub) -> None:
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is None:
                continue
            now = time.monotonic_ns()
            for logged in decode_wire(message["data"]):
                event = _probe.decode(logged.payload)
                if event.type == "message.created" and event.message is not None:
                    self.published[event.message.mid] = now

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.client.aclose()


async def wait_drained(dsn: str, timeout: float = 120) -> tuple[int, float]:
    """Wait until no receipt is pending, then count the messages once. (Counting a growing
    messages table every 100 ms cost Postgres about a second of CPU per 100,000 rows: the
    benchmark slowed what it measured.)"""
    connection = await asyncpg.connect(dsn)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            pending = await connection.fetchval(
                "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
            )
            if not pending:
                break
            await asyncio.sleep(0.05)
        drained = time.monotonic() - started
        return await connection.fetchval("SELECT count(*) FROM messages"), drained
    finally:
        await connection.close()


async def run(args: argparse.Namespace) -> dict:
    count = args.count or int(args.rate * args.duration)
    unique = max(1, count // 10) if args.redeliver else count
    bodies = make_bodies(unique, args.batch)
    server = Server(args.admin_url, args.redis_url)
    await server.start()
    if args.auto_assign:
        await turn_on_auto_assignment(server.dsn, max(1, count // 8))
    watch = PublishWatch(args.redis_url, await server.namespace())
    await watch.start()
    poster = HttpPoster("127.0.0.1", server.port, "/webhooks/instagram", args.connections)
    try:
        if args.redeliver:  # the first copies go in before the measured burst
            await asyncio.gather(*(poster.post(raw, signed(raw, SECRET)) for raw, _ in bodies))
            poster.reset()
        cpu_before = cpu_seconds(server.process.pid)
        started = time.monotonic()
        acked = await send(args, poster, [bodies[i % unique] for i in range(count)])
        elapsed = time.monotonic() - started
        expected = unique * args.batch
        stored, drain = await wait_drained(server.dsn)
        cpu = cpu_seconds(server.process.pid) - cpu_before
    finally:
        await watch.stop()
        await poster.close()
        await server.stop()
    lags = [watch.published[mid] - at for mid, at in acked.items() if mid in watch.published]
    return {
        "posts": count,
        "messages_per_post": args.batch,
        "offered_rate": args.rate,
        "full_speed": args.full_speed,
        "redeliver": args.redeliver,
        "auto_assign": args.auto_assign,
        "elapsed_s": round(elapsed, 2),
        "posts_per_s": round(count / elapsed, 1),
        "messages_sent_unique": expected,
        "messages_stored": stored,
        "stored_per_s": round(stored / (elapsed + drain), 1),
        "drain_after_load_s": round(drain, 2),
        "status": dict(poster.status),
        "ack_ms": percentiles(poster.latencies),
        "ack_to_publish_lag_ms": percentiles(lags),
        "server_cpu_s": round(cpu, 2),
    }


async def turn_on_auto_assignment(dsn: str, capacity: int) -> None:
    """Four active members and auto-assignment on (every active member eligible)."""
    connection = await asyncpg.connect(dsn)
    try:
        workspace_id = await connection.fetchval("SELECT id FROM workspaces LIMIT 1")
        for number in range(4):
            user_id = await connection.fetchval(
                "INSERT INTO users (email, name) VALUES ($1, $1) RETURNING id",
                f"agent{number}@bench.test",
            )
            await connection.execute(
                "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, 'agent')",
                workspace_id,
                user_id,
            )
        await connection.execute(
            "INSERT INTO assignment_settings (workspace_id, enabled, eligibility,"
            " default_capacity) VALUES ($1, true, 'active', $2)",
            workspace_id,
            capacity,
        )
    finally:
        await connection.close()


async def send(args: argparse.Namespace, poster: HttpPoster, plan: list) -> dict[str, int]:
    """Post the plan; return, per mid, when its first delivery was acknowledged."""
    acked: dict[str, int] = {}

    async def fire(raw: bytes, mids: list[str], due: int | None) -> None:
        at = await poster.post(raw, signed(raw, SECRET), intended_ns=due)
        if at is not None:
            for mid in mids:
                acked.setdefault(mid, at)

    if args.full_speed:
        queue = iter(plan)

        async def worker() -> None:
            for raw, mids in queue:
                await fire(raw, mids, None)

        await asyncio.gather(*(worker() for _ in range(args.connections)))
        return acked
    t0 = time.monotonic_ns()
    tasks = []
    for number, (raw, mids) in enumerate(plan):
        due = t0 + int(number * 1e9 / args.rate)
        delay = (due - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(raw, mids, due)))
    await asyncio.gather(*tasks)
    return acked


def main() -> None:
    result = asyncio.run(run(parse_args()))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

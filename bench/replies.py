"""Replies-out benchmark: POST to delivered, end to end, against the fake Graph API.

    python bench/replies.py --count 2000 --accounts 8                 # as fast as it goes
    python bench/replies.py --count 1000 --accounts 1 --rate 150      # one account, open loop

It seeds a fresh database (a workspace, N accounts with tokens, conversations with an open
window, an API token), starts the fake Graph API and `wazify serve` as their own processes
(the fake posts each echo back to the server's webhook, as Meta does), then POSTs replies
with the API token. A reply counts as delivered when its echo has come back; latency runs
from the POST's intended send time (open loop) to that moment (the row's updated_at).
Meta's limit of 100 sends a second per account caps one account near 90/s (the limiter
keeps a margin): use several accounts to see the rest of the pipeline. At the end it checks
that the fake received every reply exactly once.
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
import urllib.request
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.support import HttpPoster, cpu_seconds, free_port, percentiles
from wazify.actions.accounts import do_register_account
from wazify.actions.auth import do_create_token
from wazify.actions.members import do_create_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.db.migrate import apply_migrations
from wazify.lib.crypto import generate_key
from wazify.runtime import open_runtime
from wazify.settings import Settings

SECRET = "bench-app-secret"
SYSTEM = Actor.system("bench")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="replies to send")
    parser.add_argument("--accounts", type=int, default=8, help="Instagram accounts")
    parser.add_argument("--conversations", type=int, default=50, help="per account")
    parser.add_argument("--rate", type=float, help="POSTs per second offered (open loop)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "WAZIFY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    return parser.parse_args()


def ig_id(n: int) -> str:
    return f"178414{n:011d}"


async def seed(dsn: str, key: str, args: argparse.Namespace) -> tuple[str, list[int]]:
    """Accounts with tokens, conversations whose window is open, and an API token."""
    await apply_migrations(dsn)
    runtime = await open_runtime(Settings(database_url=dsn, token_keys=(key,)), dsn, (key,))
    try:
        async with unit_of_work(runtime, SYSTEM) as uow:
            workspace_id = await do_create_workspace(uow, "bench")
            member = await do_create_member(
                uow, workspace_id, email="bench@bench.test", role="agent", name="Bench"
            )
            _, api_token = await do_create_token(uow, workspace_id, member.user_id, "bench")
            conversations = []
            for n in range(args.accounts):
                account = await do_register_account(
                    uow, workspace_id, ig_id=ig_id(n), username=f"b{n}", token=f"token-{n}"
                )
                for c in range(args.conversations):
                    contact = await uow.conn.fetchval(
                        "INSERT INTO contacts (workspace_id, account_id, igsid, profile_state)"
                        " VALUES ($1, $2, $3, 'unavailable') RETURNING id",
                        workspace_id,
                        account.id,
                        f"9{n:04d}{c:011d}",
                    )
                    conversations.append(
                        await uow.conn.fetchval(
                            "INSERT INTO conversations (workspace_id, account_id, contact_id,"
                            " window_ends_at, human_agent_ends_at) VALUES ($1, $2, $3,"
                            " now() + interval '1 day', now() + interval '6 days') RETURNING id",
                            workspace_id,
                            account.id,
                            contact,
                        )
                    )
    finally:
        await runtime.close()
    return api_token, conversations


def control(fake_url: str, path: str, payload: object | None = None) -> object:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        fake_url + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


async def wait_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


async def run(args: argparse.Namespace) -> dict:
    database = f"wazify_bench_{secrets.token_hex(4)}"
    dsn = args.admin_url.rsplit("/", 1)[0] + "/" + database
    admin = await asyncpg.connect(args.admin_url)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    key = generate_key()
    processes: list[subprocess.Popen] = []
    try:
        api_token, conversations = await seed(dsn, key, args)
        fake_port, port = free_port(), free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "--log-level", "warning"]
        fake = subprocess.Popen(
            [*uvicorn, "--port", str(fake_port), "wazify.fakemeta.graph:create_fake_graph"]
        )
        processes.append(fake)
        await wait_port(fake_port, fake)
        for n in range(args.accounts):
            control(fake_url, "/_fake/tokens", {"token": f"token-{n}", "ig_id": ig_id(n)})
        webhook = f"http://127.0.0.1:{port}/webhooks/instagram"
        control(fake_url, "/_fake/messaging", {"webhook_url": webhook, "app_secret": SECRET})
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("REDIS")},
            "DATABASE_URL": dsn,
            "WAZIFY_TOKEN_KEYS": key,
            "META_APP_SECRETS": SECRET,
            "META_GRAPH_URL": fake_url,
            "WAZIFY_PORT": str(port),
            "WAZIFY_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen([sys.executable, "-m", "wazify.cli", "serve"], env=env)
        processes.append(server)
        await wait_port(port, server)
        return await load(args, dsn, port, api_token, conversations, fake_url, server.pid)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        admin = await asyncpg.connect(args.admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def load(args, dsn, port, api_token, conversations, fake_url, server_pid) -> dict:
    headers = {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}
    poster = HttpPoster("127.0.0.1", port, "", args.connections)
    intended: dict[str, float] = {}
    cpu_before = cpu_seconds(server_pid)
    started = time.time()

    async def one(n: int) -> None:
        if args.rate:
            await asyncio.sleep(max(0.0, started + n / args.rate - time.time()))
        client_id = f"bench-{n}"
        intended[client_id] = started + n / args.rate if args.rate else time.time()
        poster.path = f"/api/v1/conversations/{conversations[n % len(conversations)]}/messages"
        body = json.dumps({"text": f"bench reply {n}", "client_id": client_id}).encode()
        await poster.post(body, headers)

    # (post() builds its request line before its first await: setting the path just
    # before each call is safe although the poster is shared.)
    await asyncio.gather(*(one(n) for n in range(args.count)))
    posted = time.time()
    connection = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            left = await connection.fetchval(
                "SELECT count(*) FROM messages WHERE direction = 'out'"
                " AND status NOT IN ('delivered', 'read', 'failed')"
            )
            if not left:
                break
            await asyncio.sleep(0.2)
        rows = await connection.fetch(
            "SELECT client_id, status, status_reason, extract(epoch FROM updated_at) AS done"
            " FROM messages WHERE direction = 'out'"
        )
    finally:
        await connection.close()
    delivered = [row for row in rows if row["status"] in ("delivered", "read")]
    latencies = [int((float(r["done"]) - intended[r["client_id"]]) * 1e9) for r in delivered]
    last = max((float(r["done"]) for r in delivered), default=posted)
    sent = control(fake_url, "/_fake/messaging/sent")
    texts = [item["message"].get("text") for item in sent]  # type: ignore[union-attr]
    return {
        "replies": args.count,
        "accounts": args.accounts,
        "offered_rate": args.rate or "full speed",
        "post_http": dict(poster.status),
        "post_latency_ms": percentiles(poster.latencies),
        "delivered": len(delivered),
        "failed": sum(1 for row in rows if row["status"] == "failed"),
        # What became of the replies that were not delivered (the first ten), to explain it.
        "not_delivered": [
            [row["client_id"], row["status"], row["status_reason"]]
            for row in rows
            if row["status"] not in ("delivered", "read")
        ][:10],
        "meta_received": len(texts),
        "meta_received_twice": len(texts) - len(set(texts)),
        "replies_per_second": round(len(delivered) / (last - started), 1),
        "post_to_delivered_ms": percentiles(latencies),
        "server_cpu_ms_per_reply": round(
            1000 * (cpu_seconds(server_pid) - cpu_before) / max(1, len(delivered)), 2
        ),
    }


def main() -> None:
    args = parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()

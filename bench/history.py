"""History import benchmark: N conversations x 20 messages from the fake Conversations API.

    python bench/history.py --conversations 50                 # at Meta's 2 calls/s
    python bench/history.py --conversations 200 --rate 1000    # the pipeline's own ceiling

It seeds a fresh database (a workspace, an account with its token) and the fake Graph API
(in a thread) with N threads of 20 messages each (customers' and the business's), queues
an import job and walks it with the history importer in this process, then prints how long
it took, the messages stored per second, the Graph calls per second and the busiest second
as the fake saw it (Meta allows 2 per account: the walk is bound by it, one call a thread
plus one a page), and checks that every message was stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wazify.actions.accounts import do_register_account
from wazify.actions.imports import do_queue_import
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.db.migrate import apply_migrations
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.items import now_ms
from wazify.lib.crypto import generate_key
from wazify.meta.graph_client import GraphClient
from wazify.realtime.broker import InProcessBroker
from wazify.runtime import open_runtime
from wazify.settings import Settings
from wazify.workers.history import HistoryImporter

ACCOUNT, TOKEN = "17841400000000900", "bench-history-token"
SYSTEM = Actor.system("bench")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="per conversation (Meta: 20)")
    parser.add_argument("--rate", type=int, default=2, help="Graph calls per second (Meta: 2)")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "WAZIFY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    return parser.parse_args()


def seed_fake(fake, conversations: int, messages: int) -> int:
    start = now_ms() - 3_600_000
    for thread in range(conversations):
        customer = f"99{thread:014d}"
        for n in range(messages):
            fake.history.add_message(
                ACCOUNT,
                customer,
                f"message {n} of conversation {thread}",
                from_business=n % 3 == 2,
                ts_ms=start + thread * 10_000 + n * 100,
            )
    return conversations * messages


def busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max((sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps), default=0)


async def run(args: argparse.Namespace) -> None:
    name = f"wazify_bench_history_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(args.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = args.admin_url.rsplit("/", 1)[0] + f"/{name}"
    url, fake, stop = run_fake_graph_in_thread()
    try:
        await apply_migrations(dsn)
        settings = Settings(database_url=dsn, token_keys=(generate_key(),), meta_graph_url=url)
        runtime = await open_runtime(settings, dsn, settings.token_keys, broker=InProcessBroker())
        fake.add_token(TOKEN, ACCOUNT)
        total = seed_fake(fake, args.conversations, args.messages)
        async with unit_of_work(runtime, SYSTEM) as uow:
            workspace_id = await do_create_workspace(uow, "bench", "Bench")
            account = await do_register_account(
                uow, workspace_id, ig_id=ACCOUNT, username="bench", token=TOKEN
            )
            await do_queue_import(uow, account.id, "manual")
        async with GraphClient(url, "v25.0") as graph:
            importer = HistoryImporter(runtime, graph, rate=args.rate)
            began = time.perf_counter()
            await importer.run_until_idle()
            elapsed = time.perf_counter() - began
        stored = await runtime.engine.pool.fetchval("SELECT count(DISTINCT mid) FROM messages")
        rows = await runtime.engine.pool.fetchval("SELECT count(*) FROM messages")
        state = await runtime.engine.pool.fetchval("SELECT state FROM import_jobs")
        stamps = [r.at for r in fake.requests("/v25.0/")]
        await runtime.close()
        print(f"conversations x messages : {args.conversations} x {args.messages} = {total}")
        print(f"job                      : {state}, {elapsed:.1f} s")
        print(f"messages stored          : {rows} ({stored} distinct mids)")
        print(f"messages/s               : {rows / elapsed:.0f}")
        calls = importer.calls_made
        print(f"graph calls              : {calls} ({calls / elapsed:.2f}/s, limit {args.rate}/s)")
        print(f"busiest second           : {busiest_second(stamps)} calls")
        if rows != total or stored != rows:
            raise SystemExit(f"expected {total} messages stored once, got {rows}/{stored}")
    finally:
        stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(run(parse_args()))

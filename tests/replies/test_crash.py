"""A real `wazify serve` killed (SIGKILL) while Meta holds its answers, then restarted.

Every reply must end sent/delivered or failed (an unknown resolved by its echo, or by the
deadline), none lost, and none sent twice: counted on what the fake Graph API received.
The sender is held to 4 sends a second so that, at the kill, some claimed replies have left
(Meta is sitting on them) and some have not (still waiting for the rate limiter).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
from pathlib import Path

import httpx
import msgspec

from tests.replies.conftest import (
    MESSAGES_PATH,
    SYSTEM,
    TOKEN,
    Live,
    Shop,
    sent_texts,
    wait_for,
)
from tests.support.live import live_server
from tests.support.services import free_port
from tests.support.world import World
from wazify.actions.accounts import do_register_account
from wazify.actions.replies import do_queue_reply
from wazify.actions.uow import unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.app import create_app
from wazify.fakemeta.state import FailureRule, Messaging
from wazify.fakemeta.webhooks import ACCOUNT

CONVERSATIONS, PER_CONVERSATION, RATE = 8, 3, 4


async def _seed(rt) -> list[int]:
    async with unit_of_work(rt, SYSTEM) as uow:
        workspace_id = await do_create_workspace(uow, "crash")
        account = await do_register_account(
            uow, workspace_id, ig_id=ACCOUNT, username="shop", token=TOKEN
        )
        conversations = []
        for n in range(CONVERSATIONS):
            contact = await uow.conn.fetchval(
                "INSERT INTO contacts (workspace_id, account_id, igsid, profile_state)"
                " VALUES ($1, $2, $3, 'unavailable') RETURNING id",
                workspace_id,
                account.id,
                f"95000000{n:08d}",
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
    ids = []
    for turn in range(PER_CONVERSATION):
        for index, conversation_id in enumerate(conversations):
            async with unit_of_work(rt, SYSTEM) as uow:
                view, _ = await do_queue_reply(
                    uow,
                    workspace_id,
                    conversation_id,
                    author_id=None,
                    by_person=False,
                    text=f"reply {index}.{turn}",
                )
            ids.append(view.id)
    return ids


async def _start(env: dict[str, str], folder: Path, port: int) -> asyncio.subprocess.Process:
    log = (folder / f"serve-{port}.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wazify.cli", "serve", env=env, cwd=folder, stdout=log, stderr=log
    )
    async with httpx.AsyncClient() as client:

        async def up() -> bool:
            if process.returncode is not None:
                raise RuntimeError((folder / f"serve-{port}.log").read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            return False

        await wait_for(up, timeout=60)
    return process


async def test_killed_mid_send_and_restarted(rt, settings, fake, fake_graph, tmp_path) -> None:
    ids = await _seed(rt)
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/webhooks/instagram"
    fake.configure_messaging(
        Messaging(webhook_url=webhook, app_secret=settings.meta_app_secrets[0])
    )
    fake.inject_failure(FailureRule(path_prefix=MESSAGES_PATH, delay=3.0, count=1000))
    env = {key: value for key, value in os.environ.items() if not key.startswith("REDIS")}
    env.update(
        DATABASE_URL=settings.database_url or "",
        WAZIFY_TOKEN_KEYS=",".join(settings.token_keys),
        META_GRAPH_URL=fake_graph[0],
        META_APP_SECRETS=",".join(settings.meta_app_secrets),
        WAZIFY_HOST="127.0.0.1",
        WAZIFY_PORT=str(port),
        WAZIFY_SEND_TIMEOUT_SECONDS="2",
        WAZIFY_SEND_UNKNOWN_DEADLINE_SECONDS="3",
        WAZIFY_SEND_RATE=str(RATE),
        WAZIFY_LOG_LEVEL="WARNING",
    )
    process = await _start(env, tmp_path, port)
    try:

        async def meta_is_holding_some() -> bool:
            return len(fake.requests(MESSAGES_PATH)) >= RATE

        await wait_for(meta_is_holding_some, timeout=30)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        sending = await rt.engine.pool.fetchval(
            "SELECT count(*) FROM messages WHERE status = 'sending'"
        )
        assert sending > RATE  # some left (Meta holds them), some never did
        fake.failures.clear()  # Meta answers promptly again (the held ones finish anyway)
        process = await _start(env, tmp_path, port)

        async def all_settled() -> bool:
            return not await rt.engine.pool.fetchval(
                "SELECT count(*) FROM messages WHERE direction = 'out'"
                " AND status IN ('pending', 'sending', 'unknown')"
            )

        await wait_for(all_settled, timeout=60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    rows = await rt.engine.pool.fetch(
        "SELECT id, text, status, status_reason, mid FROM messages WHERE direction = 'out'"
    )
    received = collections.Counter(sent_texts(fake))
    assert max(received.values()) == 1, "a reply was sent twice"
    delivered = {row["text"] for row in rows if row["status"] in ("sent", "delivered", "read")}
    failed = [row for row in rows if row["status"] == "failed"]
    assert len(rows) == len(ids) == CONVERSATIONS * PER_CONVERSATION  # none lost, no copies
    assert delivered == set(received)  # what Meta got is exactly what we show as sent
    assert failed, "the replies claimed but never sent should have failed"
    for row in failed:
        assert row["text"] not in received
        assert row["status_reason"].startswith("outcome unknown"), row["status_reason"]
    mids = {sent.mid for sent in fake.sent_messages()}
    assert {row["mid"] for row in rows if row["text"] in delivered} == mids


async def test_wazify_worker_sends_as_a_process_of_its_own(
    rt, settings, send_settings, fake, fake_graph, tmp_path, password_hash
) -> None:
    quiet = msgspec.structs.replace(send_settings, send_worker=False)
    app = create_app(quiet, runtime=rt)
    async with live_server(app) as address:
        assert app.state.outbound.worker is None  # WAZIFY_SEND_WORKER=0: not in this process
        fake.configure_messaging(
            Messaging(
                webhook_url=f"http://{address}/webhooks/instagram",
                app_secret=settings.meta_app_secrets[0],
            )
        )
        world = World(rt, password_hash)
        workspace_id = await world.workspace("solo")
        async with unit_of_work(rt, SYSTEM) as uow:
            account = await do_register_account(
                uow, workspace_id, ig_id=ACCOUNT, username="s", token=TOKEN
            )
        agent = await world.member(workspace_id, "solo@shop.test")
        async with httpx.AsyncClient(base_url=f"http://{address}") as http:
            shop = Shop(workspace_id, account.id, 0, agent, world, Live(app, address, http), rt)
            shop.conversation_id = await shop.customer_writes()
            reply = (await shop.reply("from the worker process")).json()
            env = {key: value for key, value in os.environ.items() if not key.startswith("REDIS")}
            env.update(
                DATABASE_URL=settings.database_url or "",
                WAZIFY_TOKEN_KEYS=",".join(settings.token_keys),
                META_GRAPH_URL=fake_graph[0],
                WAZIFY_LOG_LEVEL="WARNING",
            )
            log = (tmp_path / "worker.log").open("ab")
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "wazify.cli",
                "worker",
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=log,
            )
            try:
                await shop.settled(reply["id"], "delivered", timeout=30)
            finally:
                worker.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(worker.wait(), 30) == 0
    assert sent_texts(fake) == ["from the worker process"]

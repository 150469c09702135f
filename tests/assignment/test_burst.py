"""Auto-assignment under load across real processes: `wazify serve --workers 2` (Redis
between them), a burst of new conversations by signed webhooks, members' sockets coming
and going (presence decides who is eligible) and conversations resolved meanwhile through
either worker. The invariants are checked from the event log alone, replayed in seq order:
- an automatic assignment takes an unassigned conversation (never one assigned twice);
- it never puts its member over capacity (loads replayed from assignments and resolves);
- it takes the longest-waiting conversation: none queued before it (a customer's message
  in an open, unassigned conversation, by seq) with an earlier wait is still waiting;
- in the end every conversation has been assigned automatically exactly once.

WAZIFY_BURST sets the burst's size (bench/assignment_burst.py runs it with 500).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

from tests.realtime.conftest import Agent, connect
from tests.replies.conftest import SYSTEM, TOKEN, wait_for
from tests.support.services import free_port
from tests.support.world import Member, World
from wazify.actions.accounts import do_register_account
from wazify.actions.assignment import assign_waiting
from wazify.actions.assignment_settings import do_set_capacity, do_update_settings
from wazify.actions.uow import unit_of_work
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message

BURST = int(os.environ.get("WAZIFY_BURST", "150"))
SECONDS = 5.0
CAPACITY = max(3, BURST // 12)
AGENTS = 4


async def _serve(env: dict[str, str], folder: Path, port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "wazify.cli", "serve", "--workers", "2"),
        env=env,
        cwd=folder,
        stdout=(folder / "stdout.log").open("wb"),
        stderr=(folder / "stderr.log").open("wb"),
    )

    async def up() -> bool:
        if process.returncode is not None:
            raise RuntimeError((folder / "stderr.log").read_text()[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
        return False

    await wait_for(up, timeout=90)
    return process


async def _burst(base: str, secret: str) -> None:
    """BURST new customers over SECONDS, each delivery on a connection of its own (so both
    workers take some); Meta's timestamps increase with the sending order."""
    start = time.monotonic()
    stamp = int(time.time() * 1000) - 60_000

    async def post(number: int) -> None:
        await asyncio.sleep(number * SECONDS / BURST)
        item = text_message(ACCOUNT, f"77{number:014d}", f"help {number}", ts_ms=stamp + number)
        raw = encode_body(body([entry(ACCOUNT, [item])]))
        headers = {**signed(raw, secret), "Connection": "close"}
        for attempt in range(5):  # as Meta does, a delivery that could not connect is retried
            try:
                async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                    response = await client.post(
                        "/webhooks/instagram", content=raw, headers=headers
                    )
                break
            except (httpx.ConnectError, httpx.ConnectTimeout):
                await asyncio.sleep(0.5 * (attempt + 1))
        assert response.status_code == 200

    await asyncio.gather(*(post(number) for number in range(BURST)))
    print(f"burst of {BURST} posted in {time.monotonic() - start:.1f} s")


async def _churn(
    address: str, base: str, agents: list[Member], sockets: dict[int, Agent], done: asyncio.Event
) -> None:
    """During the burst: members go offline and come back; conversations get resolved by
    hand (room appears) through whichever worker answers, each agent's concurrently."""
    round_ = 0
    while not done.is_set():
        await asyncio.sleep(SECONDS / 8)
        member = agents[round_ % len(agents)]
        if member.user_id in sockets:
            await sockets.pop(member.user_id).close()
        else:
            sockets[member.user_id] = await _online(address, base, member)
        await asyncio.gather(*(_resolve_some(base, agent) for agent in agents))
        round_ += 1


async def _resolve_some(base: str, agent: Member) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Connection": "close"}) as client:
        mine = await client.get("/api/v1/conversations?assignee=mine", headers=agent.headers)
        for item in mine.json()["items"][:3]:
            response = await client.post(
                f"/api/v1/conversations/{item['id']}/status",
                json={"status": "resolved"},
                headers=agent.headers,
            )
            assert response.status_code == 200, response.text


async def _decide_too(runtime, workspace_id: int, done: asyncio.Event) -> None:
    """A third process deciding all along (this one): decisions contend for the lock."""
    while not done.is_set():
        await asyncio.gather(*(assign_waiting(runtime, workspace_id) for _ in range(2)))
        await asyncio.sleep(0.05)


async def _online(address: str, base: str, member: Member) -> Agent:
    async with httpx.AsyncClient(base_url=base) as client:
        seq = (await client.get("/api/v1/bootstrap", headers=member.headers)).json()["seq"]
    return await (await connect(address, member, since=seq, origin=base)).wait_ready()


def check_invariants(events: list[dict], capacity: int, raised_after: int) -> dict[int, int]:
    """Replay the log; assert the invariants of the module's docstring (capacity holds
    until seq `raised_after`, when it was raised for all)."""
    assignee: dict[int, int | None] = {}
    status: dict[int, str] = {}
    waiting: dict[int, tuple[datetime, int]] = {}  # conversation -> (waiting since, id)
    automatic: dict[int, int] = {}
    longest = 0
    for event in events:
        longest = max(longest, len(waiting))
        kind = event["type"]
        if kind == "message.created" and event["message"]["direction"] == "in":
            cid = event["conversation"]["id"]
            status[cid] = event["conversation"]["status"]
            if status[cid] == "open" and assignee.get(cid) is None and cid not in waiting:
                # Parsed: a whole second is written without a fraction ("...:05Z").
                since = datetime.fromisoformat(event["message"]["sent_at"])
                waiting[cid] = (since, cid)
        elif kind == "conversation.updated":
            cid = event["conversation"]["id"]
            status[cid] = event["conversation"]["status"]
            if status[cid] != "open":
                waiting.pop(cid, None)
        elif kind == "conversation.assigned":
            cid, to = event["conversation"]["id"], event["conversation"]["assignee_id"]
            if event["reason"] is not None and event["assigned_by"] is None and to is not None:
                assert assignee.get(cid) is None, f"{cid} assigned twice (seq {event['seq']})"
                assert cid in waiting, f"{cid} assigned without waiting"
                earlier = [other for other, key in waiting.items() if key < waiting[cid]]
                assert not earlier, f"seq {event['seq']}: {cid} served before {earlier[:5]}"
                load = sum(
                    1 for c, a in assignee.items() if a == to and status.get(c) != "resolved"
                )
                limit = capacity if event["seq"] <= raised_after else 1000
                assert load < limit, f"seq {event['seq']}: member {to} over capacity"
                automatic[cid] = automatic.get(cid, 0) + 1
            assignee[cid] = to
            waiting.pop(cid, None)
    early = sum(
        1
        for e in events
        if e["type"] == "conversation.assigned" and e.get("reason") and e["seq"] <= raised_after
    )
    print(
        f"automatic assignments: {len(automatic)} ({early} before the capacity raise);"
        f" longest queue: {longest}"
    )
    return automatic


async def test_a_burst_across_two_processes_keeps_the_invariants(
    rt, settings, fake, fake_graph, password_hash, redis_url, tmp_path
) -> None:
    world = World(rt, password_hash)
    workspace_id = await world.workspace("shop")
    async with unit_of_work(rt, SYSTEM) as uow:
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop", token=TOKEN)
    admin = await world.member(workspace_id, "boss@shop.test", "admin")
    agents = [await world.member(workspace_id, f"a{i}@shop.test") for i in range(AGENTS)]
    async with unit_of_work(rt, SYSTEM) as uow:
        await do_set_capacity(uow, workspace_id, admin.user_id, 0)
        await do_update_settings(
            uow, workspace_id, enabled=True, eligibility="online", default_capacity=CAPACITY
        )
    port = free_port()
    base, address = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    secret = settings.meta_app_secrets[0]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "PROMETHEUS"))}
    env.update(
        DATABASE_URL=settings.database_url or "",
        REDIS_URL=redis_url,
        WAZIFY_TOKEN_KEYS=",".join(settings.token_keys),
        META_GRAPH_URL=fake_graph[0],
        META_APP_SECRETS=",".join(settings.meta_app_secrets),
        META_VERIFY_TOKEN=settings.meta_verify_token,
        WAZIFY_PORT=str(port),
        TMPDIR=str(scratch),
    )
    process = await _serve(env, tmp_path, port)
    sockets: dict[int, Agent] = {}
    try:
        for member in agents[:2]:
            sockets[member.user_id] = await _online(address, base, member)
        started = time.monotonic()
        done = asyncio.Event()

        async def burst() -> None:
            await _burst(base, secret)
            done.set()

        await asyncio.gather(
            burst(),
            _churn(address, base, agents, sockets, done),
            _decide_too(rt, workspace_id, done),
        )
        pool = rt.engine.pool

        async def processed() -> bool:
            return not await pool.fetchval(
                "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
            )

        await wait_for(processed, timeout=120)
        print(f"processed {BURST} in {time.monotonic() - started:.1f} s")
        # Everyone back online with room for all: the queue empties.
        for member in agents:
            if member.user_id not in sockets:
                sockets[member.user_id] = await _online(address, base, member)
        raised_after = await pool.fetchval(
            "SELECT last_seq FROM workspace_counters WHERE workspace_id = $1", workspace_id
        )
        async with httpx.AsyncClient(base_url=base) as client:
            response = await client.patch(
                "/api/v1/assignment/settings",
                json={"default_capacity": 1000},
                headers=admin.headers,
            )
            assert response.status_code == 200, response.text

        async def emptied() -> bool:
            return not await pool.fetchval(
                "SELECT count(*) FROM conversations WHERE workspace_id = $1"
                " AND assignee_id IS NULL AND status = 'open'",
                workspace_id,
            )

        await wait_for(emptied, timeout=30)
    finally:
        for agent in sockets.values():
            with contextlib.suppress(Exception):
                await agent.close()
        process.terminate()
        await process.wait()
    rows = await rt.engine.pool.fetch(
        "SELECT payload::text FROM events WHERE workspace_id = $1 ORDER BY seq", workspace_id
    )
    events = [json.loads(row["payload"]) for row in rows]
    automatic = check_invariants(events, CAPACITY, raised_after)
    conversations = await rt.engine.pool.fetchval(
        "SELECT count(*) FROM conversations WHERE workspace_id = $1", workspace_id
    )
    assert conversations == BURST
    assert len(automatic) == BURST and set(automatic.values()) == {1}

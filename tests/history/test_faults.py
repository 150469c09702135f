"""Meta's refusals during an import, handled as the Send API's are, and jobs that outlive
the process walking them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.history.conftest import (
    CONVERSATIONS_PATH,
    HOUR_MS,
    THREAD_READS,
    Shop,
    events_of,
    wait_for,
)
from wazify.actions.import_steps import LeaseLost, do_finish_import
from wazify.actions.imports import do_claim_imports
from wazify.actions.replies import HELD_REASON
from wazify.actions.uow import unit_of_work
from wazify.fakemeta.state import FailureRule
from wazify.workers.history import ACTOR, HistoryImporter

CUSTOMERS = [f"93000000000000{n:02d}" for n in range(8)]


def seed(shop: Shop, count: int = 6) -> list:
    return [
        shop.writes(c, f"hello {n}", ago_ms=2 * HOUR_MS + n * 60_000)
        for n, c in enumerate(CUSTOMERS[:count])
    ]


async def test_a_token_dying_mid_import_stops_it_and_holds_the_replies(shop: Shop) -> None:
    await shop.register()
    items = seed(shop)
    customer = shop.writes("9399999999999999", "can I still order?", ago_ms=1000)
    await shop.deliver(customer)
    await wait_for(shop.receipts_processed)
    pool = shop.runtime.engine.pool
    conversation_id = await pool.fetchval("SELECT id FROM conversations")
    sender = shop.live.app.state.outbound.worker
    await sender.stop()  # replies queue up, unsent
    queued = [await shop.reply(conversation_id, f"queued {n}") for n in range(2)]
    assert {r["status_reason"] for r in queued} == {""}
    seq = (await events_of(shop.runtime, shop.workspace_id))[-1]["seq"]
    # Two threads read, then Meta refuses the token.
    shop.fake.inject_failure(
        FailureRule(path_prefix=THREAD_READS, preset="token_expired", skip=2, count=1000)
    )
    job = await shop.finished((await shop.resync(days=1))["id"])
    assert job["state"] == "failed"
    assert job["reason"].startswith("stopped: Instagram no longer accepts the access token")
    assert job["conversations_done"] == 2
    account = await pool.fetchrow("SELECT status, status_reason FROM ig_accounts")
    assert account["status"] == "reconnect_required" and "190" in account["status_reason"]
    # The queued replies say why they wait, live, and so does one queued now.
    events = await events_of(shop.runtime, shop.workspace_id, seq)
    updated = {
        e["message"]["id"]: e["message"]["status_reason"]
        for e in events
        if e["type"] == "message.updated"
    }
    assert updated == {r["id"]: HELD_REASON for r in queued}
    later = await shop.reply(conversation_id, "queued while it needs reconnecting")
    assert (later["status"], later["status_reason"]) == ("pending", HELD_REASON)
    listed = await shop.live.http.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=shop.agent.headers
    )
    reasons = {m["id"]: m["status_reason"] for m in listed.json()["items"]}
    assert {reasons[r["id"]] for r in [*queued, later]} == {HELD_REASON}

    # An admin reconnects: the held replies drain once each, the resync covers the
    # failed job's window, and no message is stored twice.
    shop.fake.failures.clear()
    sender.start()
    await shop.connect()
    resync = await shop.finished()
    assert (resync["trigger"], resync["state"]) == ("reconnect", "done")
    for sent in [*queued, later]:
        await wait_for(lambda s=sent: _status_is(shop, s["id"], "delivered"))
    texts = [m.message.get("text") for m in shop.fake.sent_messages()]
    assert sorted(texts) == ["queued 0", "queued 1", "queued while it needs reconnecting"]
    mids = await shop.mids()
    assert len(mids) == len(set(mids))
    assert {m.mid for m in items} <= set(mids)


async def _status_is(shop: Shop, message_id: int, status: str) -> bool:
    row = await shop.runtime.engine.pool.fetchrow(
        "SELECT status, status_reason FROM messages WHERE id = $1", message_id
    )
    return row["status"] == status and row["status_reason"] == ""


async def test_throttling_is_retried_later_from_the_cursor(shop: Shop) -> None:
    await shop.register()
    seed(shop, 3)
    shop.fake.inject_failure(
        FailureRule(path_prefix=CONVERSATIONS_PATH, preset="throttled", count=2)
    )
    job = await shop.finished((await shop.resync(days=1))["id"])
    assert (job["state"], job["conversations_done"], job["messages_imported"]) == ("done", 3, 3)
    events = await events_of(shop.runtime, shop.workspace_id)
    waits = [e["job"] for e in events if e["type"] == "import_job.updated" and e["job"]["reason"]]
    assert len(waits) == 2
    assert all(w["state"] == "queued" and w["next_attempt_at"] for w in waits)
    assert all(w["reason"].startswith("rate limited by Meta (error 4); retrying at") for w in waits)


async def test_an_error_that_will_not_pass_fails_the_job_with_metas_reason(shop: Shop) -> None:
    await shop.register()
    seed(shop, 2)
    error = {"message": "(#3) Application does not have the capability", "code": 3}
    shop.fake.inject_failure(FailureRule(path_prefix=CONVERSATIONS_PATH, error=error))
    job = await shop.finished((await shop.resync(days=1))["id"])
    assert job["state"] == "failed"
    assert "(#3) Application does not have the capability" in job["reason"]
    status = await shop.runtime.engine.pool.fetchval("SELECT status FROM ig_accounts")
    assert status == "connected"  # not a token problem


async def test_a_stopped_server_hands_its_job_back_and_another_resumes_it(shop: Shop) -> None:
    await shop.register()
    items = seed(shop, 8)
    importer = shop.live.importer
    importer.page_size = 2
    shop.fake.inject_failure(
        FailureRule(path_prefix="/v25.0/", method="GET", count=1000, delay=0.2)
    )
    job = await shop.resync(days=1)
    await wait_for(lambda: _done_at_least(shop, 3), timeout=20)
    await importer.stop()
    stopped = await shop.job(job["id"])
    assert stopped["state"] == "queued" and "interrupted" in stopped["reason"]
    shop.fake.failures.clear()
    other = HistoryImporter(shop.runtime, importer.graph, rate=100)  # another process
    try:
        await other.run_until_idle()
    finally:
        await other.stop()
    finished = await shop.job(job["id"])
    assert finished["state"] == "done"
    mids = await shop.mids()
    assert sorted(mids) == sorted(m.mid for m in items)
    # It went on from its cursor: the first threads' pages were not listed again.
    assert finished["conversations_done"] <= 8 + 1


async def _done_at_least(shop: Shop, count: int) -> bool:
    return (await shop.job())["conversations_done"] >= count


async def test_a_crashed_walkers_job_is_taken_over_when_its_lease_runs_out(shop: Shop) -> None:
    await shop.register()
    items = seed(shop, 2)
    importer = shop.live.importer
    importer.concurrency = 0  # the live importer stands aside until the "crash"
    job = await shop.resync(days=1)
    async with unit_of_work(shop.runtime, ACTOR) as uow:
        (crashed,) = await do_claim_imports(uow, 5, timedelta(milliseconds=200))
    async with unit_of_work(shop.runtime, ACTOR) as uow:
        assert await do_claim_imports(uow, 5, timedelta(seconds=60)) == []  # one walker
    importer.concurrency = 4
    finished = await shop.finished(job["id"])
    assert finished["state"] == "done"
    assert sorted(await shop.mids()) == sorted(m.mid for m in items)
    with pytest.raises(LeaseLost):  # the crashed walker's lease changes nothing any more
        async with unit_of_work(shop.runtime, ACTOR) as uow:
            await do_finish_import(uow, crashed)


async def test_a_thread_gone_since_it_was_listed_is_skipped(shop: Shop) -> None:
    await shop.register()
    items = seed(shop, 3)
    gone = {"message": "Unsupported get request. Object does not exist", "code": 100}
    shop.fake.inject_failure(
        FailureRule(path_prefix=THREAD_READS, error={**gone, "error_subcode": 33})
    )
    job = await shop.finished((await shop.resync(days=1))["id"])
    assert (job["state"], job["conversations_done"], job["messages_imported"]) == ("done", 3, 2)
    assert len(set(await shop.mids()) & {m.mid for m in items}) == 2


async def test_a_disconnect_stops_the_walk(shop: Shop) -> None:
    await shop.register()
    seed(shop, 8)
    shop.live.importer.page_size = 2
    shop.fake.inject_failure(
        FailureRule(path_prefix="/v25.0/", method="GET", count=1000, delay=0.2)
    )
    job = await shop.resync(days=1)
    await wait_for(lambda: _done_at_least(shop, 2), timeout=20)
    response = await shop.live.http.post(
        f"/api/v1/accounts/{shop.account_id}/disconnect", headers=shop.admin.headers
    )
    assert response.status_code == 200, response.text
    stopped = await shop.finished(job["id"])
    shop.fake.failures.clear()
    assert (stopped["state"], stopped["reason"]) == (
        "failed",
        "stopped: the account is disconnected",
    )
    assert stopped["conversations_done"] < 8

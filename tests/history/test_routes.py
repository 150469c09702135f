"""The history routes' errors and rights: precise 4xx answers, nothing queued on a refusal."""

from __future__ import annotations

from tests.history.conftest import Shop


async def jobs_count(shop: Shop) -> int:
    return await shop.runtime.engine.pool.fetchval("SELECT count(*) FROM import_jobs")


async def post(shop: Shop, account_id: int, member, body=None):
    return await shop.live.http.post(
        f"/api/v1/accounts/{account_id}/resync", json=body, headers=member.headers
    )


async def test_a_resync_is_for_admins_and_refused_precisely(shop: Shop) -> None:
    await shop.register()
    forbidden = await post(shop, shop.account_id, shop.agent)
    assert forbidden.status_code == 403
    missing = await post(shop, shop.account_id + 99, shop.admin)
    assert missing.status_code == 404
    for body, field in (({"days": 0}, "days"), ({"days": 31}, "days"), ({"dayz": 1}, "dayz")):
        response = await post(shop, shop.account_id, shop.admin, body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert field in (error.get("field") or "") + error["message"], error
    assert await jobs_count(shop) == 0
    await shop.runtime.engine.pool.execute("UPDATE ig_accounts SET status = 'disconnected'")
    disconnected = await post(shop, shop.account_id, shop.admin)
    assert disconnected.status_code == 409
    assert disconnected.json()["error"]["code"] == "account_disconnected"
    assert await jobs_count(shop) == 0


async def test_staff_follow_the_jobs_agents_do_not(shop: Shop) -> None:
    await shop.register()
    job = await shop.finished((await shop.resync(days=2))["id"])
    assert job["state"] == "done" and job["trigger"] == "manual"
    agent = await shop.live.http.get(
        f"/api/v1/accounts/{shop.account_id}/imports", headers=shop.agent.headers
    )
    assert agent.status_code == 403
    audit = await shop.runtime.engine.pool.fetchrow(
        "SELECT actor_id, target_id FROM audit_entries WHERE action = 'import.queued'"
    )
    assert (audit["actor_id"], audit["target_id"]) == (shop.admin.user_id, str(shop.account_id))
    requested = await shop.runtime.engine.pool.fetchval("SELECT requested_by FROM import_jobs")
    assert requested == shop.admin.user_id

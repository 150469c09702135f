"""Correction of the business's own data by its admins: the workspace's name and members'
display names, through the API, audited, live to every member."""

from __future__ import annotations

from tests.privacy.conftest import Shop
from tests.realtime.conftest import connect


async def test_admins_correct_the_workspace_name_live_and_audited(shop: Shop, db) -> None:
    watcher = await connect(
        shop.address, shop.agent, since=(await shop.bootstrap(shop.agent))["seq"]
    )
    await watcher.wait_ready()
    url = "/api/v1/workspace"
    assert (
        await shop.http.patch(url, json={"name": "X"}, headers=shop.agent.headers)
    ).status_code == 403
    blank = await shop.http.patch(url, json={"name": "   "}, headers=shop.admin.headers)
    assert blank.status_code == 400 and blank.json()["error"]["field"] == "name"
    unknown = await shop.http.patch(url, json={"title": "X"}, headers=shop.admin.headers)
    assert unknown.status_code == 400
    response = await shop.http.patch(
        url, json={"name": "  Linen   Studio "}, headers=shop.admin.headers
    )
    assert response.status_code == 200 and response.json()["name"] == "Linen Studio"
    again = await shop.http.patch(url, json={"name": "Linen Studio"}, headers=shop.admin.headers)
    assert again.status_code == 200
    await watcher.wait_for(lambda a: a.of_type("workspace.updated"))
    assert [e["workspace"]["name"] for e in watcher.of_type("workspace.updated")] == [
        "Linen Studio"
    ]  # the repeat changed nothing and said nothing
    await watcher.close()
    assert (await shop.http.get(url, headers=shop.agent.headers)).json()["name"] == "Linen Studio"
    assert (await shop.bootstrap(shop.agent))["workspace"]["name"] == "Linen Studio"
    entry = await db.fetchrow(
        "SELECT before::text AS before, after::text AS after FROM audit_entries"
        " WHERE action = 'workspace.updated'"
    )
    assert (entry["before"], entry["after"]) == ('{"name": "Shop"}', '{"name": "Linen Studio"}')


async def test_admins_correct_a_members_name(shop: Shop, world, db) -> None:
    url = f"/api/v1/members/{shop.agent.user_id}"
    assert (await shop.http.patch(url, json={}, headers=shop.admin.headers)).status_code == 400
    response = await shop.http.patch(url, json={"name": "Agnes Agent"}, headers=shop.admin.headers)
    assert response.status_code == 200 and response.json()["name"] == "Agnes Agent"
    team = (await shop.bootstrap(shop.agent))["team"]
    assert "Agnes Agent" in {member["name"] for member in team}
    assert (
        await db.fetchval(
            "SELECT count(*) FROM events WHERE type = 'member.updated' AND payload LIKE '%Agnes%'"
        )
        == 1
    )
    assert (
        await db.fetchval("SELECT count(*) FROM audit_entries WHERE action = 'member.renamed'") == 1
    )
    # A person who also belongs to another business keeps their name (it is theirs).
    other = await world.workspace("other")
    both = await world.member(other, "both@example.com", "agent")
    await world.member(shop.workspace_id, "both@example.com", "agent", session=False)
    refused = await shop.http.patch(
        f"/api/v1/members/{both.user_id}", json={"name": "Renamed"}, headers=shop.admin.headers
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "member_elsewhere"

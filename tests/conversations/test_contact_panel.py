"""The contact panel (GET /api/v1/contacts/{id}) and its corrections (PATCH): any member
reads and corrects; another workspace's contact is a 404 like an absent one; the panel
shows Meta's profile facts, the ad that started the conversation and the person's
conversations with the workspace's other accounts (linked by username)."""

from __future__ import annotations

from tests.conversations.conftest import SYSTEM, assert_converges, audits, head, logged, snapshot
from tests.webhooks.conftest import post_webhook, settle
from wazify.actions.accounts import do_register_account
from wazify.actions.contacts import do_record_profile
from wazify.actions.uow import unit_of_work
from wazify.fakemeta.cases import case_ad_referral

SECOND_ACCOUNT = "17841400000000777"
FACTS = {
    "follower_count": 1234,
    "is_user_follow_business": True,
    "is_business_follow_user": False,
    "is_verified_user": None,
}


async def _profile(shop, contact_id: int, username: str, facts: dict | None = None) -> None:
    async with unit_of_work(shop.runtime, SYSTEM) as uow:
        await do_record_profile(
            uow,
            contact_id,
            name="Alice Martin",
            username=username,
            picture_url="https://cdn.example/alice.jpg",
            state="fetched",
            facts=facts,
        )


async def test_the_panel_shows_profile_facts_the_ad_and_the_persons_conversations(
    shop, client
) -> None:
    igsid = "7600000000000999"
    response = await post_webhook(client, case_ad_referral(contact=igsid))
    assert response.status_code == 200, response.text
    await settle(shop.runtime)
    first = await shop.runtime.engine.pool.fetchval(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
        " WHERE ct.igsid = $1",
        igsid,
    )
    contact_id = await shop.contact_of(first)
    await _profile(shop, contact_id, "alice.martin", FACTS)
    async with unit_of_work(shop.runtime, SYSTEM) as uow:  # the same person, another account
        await do_register_account(uow, shop.workspace_id, ig_id=SECOND_ACCOUNT, username="shop2")
    second = await shop.conversation("hi again", account=SECOND_ACCOUNT)
    await _profile(shop, await shop.contact_of(second), "alice.martin")
    stranger = await shop.conversation("not alice")

    panel = await client.get(f"/api/v1/contacts/{contact_id}", headers=shop.agent.headers)

    assert panel.status_code == 200, panel.text
    body = panel.json()
    assert body["contact"]["username"] == "alice.martin"
    assert body["contact"]["picture_url"] == "https://cdn.example/alice.jpg"
    assert body["account_username"] == "shop"
    assert body["facts"] == FACTS
    assert body["started_by"]["source"] == "ADS"
    assert body["started_by"]["ads_context_data"]["ad_title"] == "Summer linen, 20% off"
    assert [c["id"] for c in body["conversations"]] == [second, first]  # newest first
    assert stranger not in [c["id"] for c in body["conversations"]]
    # A failed refetch keeps what was known.
    async with unit_of_work(shop.runtime, SYSTEM) as uow:
        await do_record_profile(
            uow, contact_id, name=None, username=None, picture_url=None, state="pending"
        )
    again = await client.get(f"/api/v1/contacts/{contact_id}", headers=shop.agent.headers)
    assert again.json()["facts"] == FACTS


async def test_a_contact_without_profile_or_referral(shop, client) -> None:
    cid = await shop.conversation()
    contact_id = await shop.contact_of(cid)
    body = (await client.get(f"/api/v1/contacts/{contact_id}", headers=shop.agent.headers)).json()
    assert (body["facts"], body["started_by"], body["profile_fetched_at"]) == (None, None, None)
    assert [c["id"] for c in body["conversations"]] == [cid]


async def test_every_member_reads_and_corrects_another_workspace_gets_404(shop, client, db) -> None:
    contact_id = await shop.contact_of(await shop.conversation())
    url = f"/api/v1/contacts/{contact_id}"
    for role in ("admin", "supervisor", "agent"):
        member = shop.members[role]
        assert (await client.get(url, headers=member.headers)).status_code == 200
        name = f"Named by {role}"
        patched = await client.patch(url, json={"display_name": name}, headers=member.headers)
        assert (patched.status_code, patched.json()["display_name"]) == (200, name)
    seq = await head(db, shop.workspace_id)
    for method, body in (("GET", None), ("PATCH", {"display_name": "x"})):
        theirs = await client.request(method, url, json=body, headers=shop.rival.headers)
        assert theirs.status_code == 404, theirs.text
        absent = await client.request(
            method, "/api/v1/contacts/999999", json=body, headers=shop.agent.headers
        )
        assert absent.status_code == 404
        bad = await client.request(
            method, "/api/v1/contacts/0", json=body, headers=shop.agent.headers
        )
        assert bad.status_code in (400, 404), bad.text
    assert (await client.get(url)).status_code == 401
    assert await logged(db, shop.workspace_id, seq) == []
    stored = await db.fetchval("SELECT display_name FROM contacts WHERE id = $1", contact_id)
    assert stored == "Named by agent"


async def test_a_note_about_the_contact_is_audited_live_and_in_the_panel(shop, client, db) -> None:
    contact_id = await shop.contact_of(await shop.conversation())
    before, seq = await snapshot(client, shop.agent2), await head(db, shop.workspace_id)
    url = f"/api/v1/contacts/{contact_id}"

    note = "Wholesale buyer; prefers mornings"
    response = await client.patch(url, json={"notes": note}, headers=shop.agent.headers)

    assert response.status_code == 200, response.text
    [event] = await logged(db, shop.workspace_id, seq)
    assert (event["type"], event["contact"]["notes"]) == ("contact.updated", note)
    [entry] = await audits(db, shop.workspace_id, "contact.corrected")
    assert (entry["before"], entry["after"]) == ({"notes": ""}, {"notes": note})
    await assert_converges(client, db, shop.agent2, before)
    panel = (await client.get(url, headers=shop.agent2.headers)).json()
    assert panel["contact"]["notes"] == note
    too_long = await client.patch(url, json={"notes": "x" * 10_001}, headers=shop.agent.headers)
    assert (too_long.status_code, too_long.json()["error"]["field"]) == (400, "notes")

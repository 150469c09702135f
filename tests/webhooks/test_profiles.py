"""Contacts' profiles fetched through the fake Graph API after their first message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from tests.webhooks.conftest import SYSTEM, event_log, ingest, last_seq
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FailureRule, FakeGraphState, FakeProfile
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    CONTACT,
    TS_MS,
    body,
    cdn_url,
    entry,
    make_mid,
    text_message,
)
from wazify.meta.graph_client import GraphClient
from wazify.workers.profiles import ProfileFetcher

TOKEN = "IGAAfake-long-lived-token-for-the-shop"
PICTURE = cdn_url(4242)


@pytest.fixture(scope="module")
def fake_graph() -> Iterator[tuple[str, FakeGraphState]]:
    base_url, state, stop = run_fake_graph_in_thread()
    yield base_url, state
    stop()


@dataclass
class Setup:
    workspace_id: int
    account_id: int
    state: FakeGraphState
    fetcher: ProfileFetcher


@pytest.fixture
async def profiles(runtime, fake_graph) -> AsyncIterator[Setup]:
    base_url, state = fake_graph
    state.reset()
    state.add_token(TOKEN, ACCOUNT)
    async with unit_of_work(runtime, SYSTEM) as uow:
        workspace_id = await do_create_workspace(uow, "shop")
        account = await do_register_account(
            uow, workspace_id, ig_id=ACCOUNT, username="shop", token=TOKEN
        )
    graph = GraphClient(base_url, "v25.0")
    yield Setup(workspace_id, account.id, state, ProfileFetcher(runtime, graph))
    await graph.aclose()


async def first_message(runtime, igsid: str = CONTACT) -> None:
    item = text_message(ACCOUNT, igsid, "hello", make_mid(ACCOUNT, int(igsid[-4:])), TS_MS)
    await ingest(runtime, body([entry(ACCOUNT, [item])]))


async def contact(db, igsid: str = CONTACT) -> dict:
    row = await db.fetchrow(
        "SELECT id, name, username, picture_url, profile_state, profile_error, profile_fetched_at"
        " FROM contacts WHERE igsid = $1",
        igsid,
    )
    return dict(row)


async def test_a_profile_is_fetched_after_the_first_message(db, runtime, profiles) -> None:
    profiles.state.set_profile(
        FakeProfile(igsid=CONTACT, name="Lina Haddad", username="lina.h", profile_pic=PICTURE)
    )
    await first_message(runtime)
    assert (await contact(db))["profile_state"] == "pending"
    seq = await last_seq(db, profiles.workspace_id)

    assert await profiles.fetcher.fetch_due() == 1
    stored = await contact(db)
    assert (stored["name"], stored["username"], stored["picture_url"]) == (
        "Lina Haddad",
        "lina.h",
        PICTURE,
    )
    assert (stored["profile_state"], stored["profile_error"]) == ("fetched", "")
    [(kind, payload)] = await event_log(db, profiles.workspace_id, after=seq)
    assert kind == "contact.updated"
    assert payload["contact"] == {
        "id": stored["id"],
        "account_id": profiles.account_id,
        "igsid": CONTACT,
        "name": "Lina Haddad",
        "username": "lina.h",
        "display_name": "",
        "picture_url": PICTURE,
        "notes": "",
        "profile_state": "fetched",
    }
    [request] = profiles.state.requests(f"/v25.0/{CONTACT}")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in request.query  # never in the URL
    assert request.query["fields"].split(",")[:3] == ["name", "username", "profile_pic"]
    # Fetched and fresh: nothing is due any more.
    assert await profiles.fetcher.fetch_due() == 0


async def test_consent_error_makes_the_profile_unavailable_without_retry(
    db, runtime, profiles
) -> None:
    profiles.state.set_profile(FakeProfile(igsid=CONTACT, name="Never wrote", consent=False))
    await first_message(runtime)
    seq = await last_seq(db, profiles.workspace_id)
    assert await profiles.fetcher.fetch_due() == 1
    stored = await contact(db)
    assert (stored["profile_state"], stored["name"]) == ("unavailable", "")
    assert stored["profile_error"].startswith("Graph API error 230 (HTTP 400)")
    [(kind, payload)] = await event_log(db, profiles.workspace_id, after=seq)
    assert (kind, payload["contact"]["profile_state"]) == ("contact.updated", "unavailable")
    await db.execute("UPDATE contacts SET profile_fetched_at = now() - interval '30 days'")
    assert await profiles.fetcher.fetch_due() == 0
    assert len(profiles.state.requests(f"/v25.0/{CONTACT}")) == 1


async def test_a_user_who_blocked_the_business_is_unavailable(db, runtime, profiles) -> None:
    profiles.state.set_profile(FakeProfile(igsid=CONTACT, name="Blocker", blocked=True))
    await first_message(runtime)
    assert await profiles.fetcher.fetch_due() == 1
    stored = await contact(db)
    assert (stored["profile_state"], stored["name"]) == ("unavailable", "")
    assert stored["profile_error"].startswith("Graph API error 100/33 (HTTP 400)")
    assert await profiles.fetcher.fetch_due() == 0


async def test_an_expired_picture_is_refreshed_after_three_days(db, runtime, profiles) -> None:
    profiles.state.set_profile(
        FakeProfile(igsid=CONTACT, name="Lina", username="lina.h", profile_pic=PICTURE)
    )
    await first_message(runtime)
    assert await profiles.fetcher.fetch_due() == 1
    fresh = cdn_url(5353)
    profiles.state.set_profile(
        FakeProfile(igsid=CONTACT, name="Lina", username="lina.h", profile_pic=fresh)
    )
    await db.execute("UPDATE contacts SET profile_fetched_at = now() - interval '2 days'")
    assert await profiles.fetcher.fetch_due() == 0  # not yet
    await db.execute("UPDATE contacts SET profile_fetched_at = now() - interval '4 days'")
    seq = await last_seq(db, profiles.workspace_id)
    assert await profiles.fetcher.fetch_due() == 1
    stored = await contact(db)
    assert (stored["picture_url"], stored["profile_state"]) == (fresh, "fetched")
    [(kind, payload)] = await event_log(db, profiles.workspace_id, after=seq)
    assert (kind, payload["contact"]["picture_url"]) == ("contact.updated", fresh)
    # Refetched with nothing new: fetched again, no event.
    await db.execute("UPDATE contacts SET profile_fetched_at = now() - interval '4 days'")
    assert await profiles.fetcher.fetch_due() == 1
    assert await event_log(db, profiles.workspace_id, after=seq + 1) == []


async def test_passing_failures_are_retried_later(db, runtime, profiles) -> None:
    profiles.state.set_profile(FakeProfile(igsid=CONTACT, name="Lina", username="lina.h"))
    await first_message(runtime)
    # A Graph 5xx, and a bare code 100 (a field this API lacks: our mistake, not the user's).
    profiles.state.inject_failure(
        FailureRule(path_prefix=f"/v25.0/{CONTACT}", preset="server_error")
    )
    bad_field = {
        "message": "(#100) Tried accessing nonexisting field (is_verified_user)",
        "code": 100,
    }
    profiles.state.inject_failure(
        FailureRule(path_prefix=f"/v25.0/{CONTACT}", error=bad_field | {"type": "OAuthException"})
    )
    seq = await last_seq(db, profiles.workspace_id)
    for expected in ("Graph API error 1/99 (HTTP 500)", "Graph API error 100 (HTTP 400)"):
        assert await profiles.fetcher.fetch_due() == 1
        stored = await contact(db)
        assert stored["profile_state"] == "pending"
        assert stored["profile_error"].startswith(expected)
        assert await profiles.fetcher.fetch_due() == 0  # retried after retry_after, not now
        await db.execute("UPDATE contacts SET profile_fetched_at = now() - interval '6 minutes'")
    assert await event_log(db, profiles.workspace_id, after=seq) == []
    assert await profiles.fetcher.fetch_due() == 1
    assert (await contact(db))["profile_state"] == "fetched"


async def test_accounts_without_a_token_are_not_fetched(db, runtime, profiles) -> None:
    await db.execute("UPDATE ig_accounts SET access_token_enc = NULL")
    await first_message(runtime)
    assert await profiles.fetcher.fetch_due() == 0
    assert profiles.state.requests("/v25.0") == []


async def test_the_profiles_other_facts_are_kept_for_the_contact_panel(
    db, runtime, profiles
) -> None:
    profiles.state.set_profile(
        FakeProfile(
            igsid=CONTACT,
            name="Lina",
            username="lina.h",
            follower_count=321,
            is_user_follow_business=True,
            is_business_follow_user=False,
        )
    )
    await first_message(runtime)
    assert await profiles.fetcher.fetch_due() == 1
    facts = await db.fetchval("SELECT profile_facts::text FROM contacts")
    assert json.loads(facts) == {
        "follower_count": 321,
        "is_user_follow_business": True,
        "is_business_follow_user": False,
        "is_verified_user": None,
    }

"""Instagram Login through the fake Graph API: connect, cancel, bad/replayed/foreign state,
pasted tokens, encryption at rest, disconnect and reconnect, re-subscription, audit, logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.accounts.conftest import (
    IG_ID,
    OTHER_IG_ID,
    Shop,
    audit_actions,
    callback,
    connect,
    consent,
    start_connect,
)
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.fakemeta.oauth import FakeIgAccount, FakeOAuth
from wazify.fakemeta.state import FakeGraphState
from wazify.lib.crypto import DecryptionError, TokenCipher, generate_key
from wazify.meta.oauth import WEBHOOK_FIELDS
from wazify.runtime import Runtime


def stored_tokens(oauth: FakeOAuth) -> set[str]:
    return set(oauth.tokens)


async def test_connect_success_stores_encrypted_token_and_subscribes(
    client: httpx.AsyncClient,
    shop: Shop,
    oauth: FakeOAuth,
    fake: FakeGraphState,
    rt: Runtime,
    db,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = await start_connect(client, shop.admin)
    assert url.startswith(rt.settings.meta_oauth_authorize_url + "?")
    assert "state=" in url and "client_id=1234567890" in url
    oauth.login_as(IG_ID)
    result = await callback(client, shop.admin, await consent(url))
    assert result == {"connected": "acme.shop"}

    row = await db.fetchrow("SELECT * FROM ig_accounts WHERE ig_id = $1", IG_ID)
    assert row["workspace_id"] == shop.workspace_id and row["status"] == "connected"
    assert row["username"] == "acme.shop" and row["name"] == "Acme Shop"
    assert row["picture_url"] == "https://cdn.example/acme.jpg"
    assert row["meta_user_id"] == "991"
    assert "instagram_business_manage_messages" in row["scopes"]
    assert row["subscribed_at"] is not None and row["token_expires_at"] is not None
    # Encryption at rest: the column is not the token, the right key reads it, a wrong one not.
    long_lived = [token for token, info in oauth.tokens.items() if info.long_lived]
    assert len(long_lived) == 1
    token = long_lived[0]
    assert token not in row["access_token_enc"] and row["access_token_enc"].startswith("v1.")
    context = secret_context(ACCESS_TOKEN, row["id"])
    assert rt.cipher.decrypt(row["access_token_enc"], context) == token
    with pytest.raises(DecryptionError):
        TokenCipher([generate_key()]).decrypt(row["access_token_enc"], context)
    assert oauth.subscriptions[IG_ID] == list(WEBHOOK_FIELDS)

    # The code exchange is a form POST; /me and subscribed_apps carry the token in a header.
    exchange = fake.requests("/oauth/access_token")[0]
    assert exchange.method == "POST" and "code=" in exchange.body and not exchange.query
    for request in fake.requests(f"/v25.0/{IG_ID}/subscribed_apps") + fake.requests("/v25.0/me"):
        assert "access_token" not in request.query
        assert request.headers["authorization"].startswith("Bearer ")

    assert await audit_actions(db, shop.workspace_id) == ["account.connected"]
    event = await db.fetchval(
        "SELECT type FROM events WHERE workspace_id = $1 ORDER BY seq DESC LIMIT 1",
        shop.workspace_id,
    )
    assert event == "account.updated"
    listed = (await client.get("/api/v1/accounts", headers=shop.agent.headers)).json()
    assert [item["account"]["username"] for item in listed] == ["acme.shop"]
    assert listed[0]["scopes"] is None  # token metadata is for staff only
    for secret in stored_tokens(oauth):
        assert secret not in caplog.text


async def test_cancel_stores_nothing(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, db
) -> None:
    oauth.login_as(None)  # the admin clicks "Cancel" on Instagram's page
    path = await consent(await start_connect(client, shop.admin))
    assert "error=access_denied" in path
    result = await callback(client, shop.admin, path)
    assert result["error"] == "oauth_cancelled" and "cancelled" in result["message"]
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0


async def test_unknown_state_stores_nothing(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, db
) -> None:
    oauth.login_as(IG_ID)
    path = await consent(await start_connect(client, shop.admin))
    forged = path.replace("state=", "state=x")
    result = await callback(client, shop.admin, forged)
    assert result["error"] == "oauth_state_invalid"
    missing = await callback(client, shop.admin, path.split("&state=")[0])
    assert missing["error"] == "oauth_state_invalid"
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0


async def test_replayed_state_is_refused(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, db
) -> None:
    oauth.login_as(IG_ID)
    path = await consent(await start_connect(client, shop.admin))
    assert (await callback(client, shop.admin, path)) == {"connected": "acme.shop"}
    before = await db.fetchrow("SELECT access_token_enc, updated_at FROM ig_accounts")
    again = await callback(client, shop.admin, path)
    assert again["error"] == "oauth_state_invalid" and "already used" in again["message"]
    after = await db.fetchrow("SELECT access_token_enc, updated_at FROM ig_accounts")
    assert after == before


async def test_foreign_state_is_refused_and_burnt(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, db
) -> None:
    other_admin = await shop.world.member(shop.workspace_id, "second@acme.test", "admin")
    oauth.login_as(IG_ID)
    path = await consent(await start_connect(client, shop.admin))
    foreign = await callback(client, other_admin, path)
    assert foreign["error"] == "oauth_state_invalid" and "another session" in foreign["message"]
    # Burnt: not even its owner can use it now.
    assert (await callback(client, shop.admin, path))["error"] == "oauth_state_invalid"
    unsigned = await client.get(path)
    assert "not_signed_in" in unsigned.headers["location"]
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0


async def test_only_admins_start_a_connection(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.post("/api/v1/accounts/connect", headers=shop.agent.headers)
    assert response.status_code == 403
    response = await client.post(
        "/api/v1/accounts/token", headers=shop.agent.headers, json={"token": "x"}
    )
    assert response.status_code == 403


async def test_paste_token(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, rt: Runtime, db
) -> None:
    token = oauth.issue(fake, IG_ID)
    response = await client.post(
        "/api/v1/accounts/token", headers=shop.admin.headers, json={"token": token}
    )
    assert response.status_code == 201, response.text
    view = response.json()
    assert view["ig_id"] == IG_ID and view["username"] == "acme.shop"
    enc = await db.fetchval("SELECT access_token_enc FROM ig_accounts WHERE id = $1", view["id"])
    assert token not in enc
    assert rt.cipher.decrypt(enc, secret_context(ACCESS_TOKEN, view["id"])) == token
    assert oauth.subscriptions[IG_ID] == list(WEBHOOK_FIELDS)
    bad = await client.post(
        "/api/v1/accounts/token", headers=shop.admin.headers, json={"token": "IGAAnope"}
    )
    assert bad.status_code == 409 and "190" in bad.json()["error"]["message"]
    audit = await db.fetchval(
        "SELECT after->>'via' FROM audit_entries WHERE action = 'account.connected'"
    )
    assert audit == "token"


async def test_account_of_another_workspace_is_a_conflict(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, db
) -> None:
    other_ws = await shop.world.workspace("rival")
    rival = await shop.world.member(other_ws, "admin@rival.test", "admin")
    await connect(client, oauth, rival, OTHER_IG_ID)
    result = await connect(client, oauth, shop.admin, OTHER_IG_ID)
    assert result["error"] == "account_in_other_workspace"
    token = oauth.issue(fake, OTHER_IG_ID)
    response = await client.post(
        "/api/v1/accounts/token", headers=shop.admin.headers, json={"token": token}
    )
    assert response.status_code == 409
    assert (
        await db.fetchval("SELECT workspace_id FROM ig_accounts WHERE ig_id = $1", OTHER_IG_ID)
        == other_ws
    )


async def test_disconnect_then_reconnect_resumes(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, db
) -> None:
    await connect(client, oauth, shop.admin)
    account_id = await db.fetchval("SELECT id FROM ig_accounts")
    response = await client.post(
        f"/api/v1/accounts/{account_id}/disconnect", headers=shop.admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disconnected"
    row = await db.fetchrow("SELECT * FROM ig_accounts WHERE id = $1", account_id)
    assert row["access_token_enc"] is None and row["subscribed_at"] is None
    assert IG_ID not in oauth.subscriptions
    assert len(fake.requests(f"/v25.0/{IG_ID}/subscribed_apps")) >= 2  # POST then DELETE
    agent_view = (await client.get("/api/v1/accounts", headers=shop.agent.headers)).json()
    assert agent_view[0]["account"]["status"] == "disconnected"
    # Agents may not disconnect.
    denied = await client.post(
        f"/api/v1/accounts/{account_id}/disconnect", headers=shop.agent.headers
    )
    assert denied.status_code == 403

    assert (await connect(client, oauth, shop.admin)) == {"connected": "acme.shop"}
    row = await db.fetchrow("SELECT * FROM ig_accounts WHERE ig_id = $1", IG_ID)
    assert row["id"] == account_id and row["status"] == "connected"
    assert row["access_token_enc"] is not None and IG_ID in oauth.subscriptions
    assert await audit_actions(db, shop.workspace_id) == [
        "account.connected",
        "account.disconnected",
        "account.reconnected",
    ]


async def test_resubscribe_after_outage(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, db
) -> None:
    await connect(client, oauth, shop.admin)
    account_id = await db.fetchval("SELECT id FROM ig_accounts")
    path = f"/api/v1/accounts/{account_id}/check-subscription"
    fine = (await client.post(path, headers=shop.admin.headers)).json()
    assert fine["subscribed"] and not fine["resubscribed"]
    oauth.drop_subscription(IG_ID)  # Meta unsubscribed the app after an hour of failures
    checked = (await client.post(path, headers=shop.admin.headers)).json()
    assert checked["resubscribed"] and checked["fields"] == list(WEBHOOK_FIELDS)
    assert oauth.subscriptions[IG_ID] == list(WEBHOOK_FIELDS)
    assert "account.resubscribed" in await audit_actions(db, shop.workspace_id)
    listed = (await client.get("/api/v1/accounts", headers=shop.admin.headers)).json()
    assert listed[0]["subscribed_at"] is not None


async def test_a_pasted_token_that_cannot_be_one_is_a_400(
    client: httpx.AsyncClient, shop: Shop, fake: FakeGraphState, db
) -> None:
    """A token travels in an HTTP header: printable ASCII only (a paste from a document
    may bring curly quotes, accents or a zero-width space). Meta is not called."""
    for token in ("IGAA\u00e9t\u00e9", "\u201cIGAAtoken\u201d", "IGAA\u200btoken", "IGAA tok"):
        response = await client.post(
            "/api/v1/accounts/token", headers=shop.admin.headers, json={"token": token}
        )
        assert response.status_code == 400, (token, response.text)
        assert response.json()["error"]["field"] == "token"
    assert fake.requests("/") == []
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0


async def test_a_nul_in_the_accounts_name_from_meta_is_stored_as_a_replacement(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState
) -> None:
    """What Meta says is repaired, not refused: Postgres text cannot hold U+0000."""
    oauth.add_account(FakeIgAccount("17841400000000777", "nul.shop", "Nul\u0000Shop", user_id="7"))
    token = oauth.issue(fake, "17841400000000777")
    response = await client.post(
        "/api/v1/accounts/token", headers=shop.admin.headers, json={"token": token}
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Nul\ufffdShop"

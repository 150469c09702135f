"""The token refresher against the fake Graph API: on time, too early, expired, 190, and the
subscription check after an outage; reconnect-required reaches agents; no token in logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest

from tests.accounts.conftest import IG_ID, Shop, age_account, audit_actions, connect
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.fakemeta.oauth import FakeOAuth
from wazify.fakemeta.state import FakeGraphState
from wazify.runtime import Runtime
from wazify.workers.token_refresh import TokenRefresher

DAY = timedelta(days=1)


async def connected(client: httpx.AsyncClient, oauth: FakeOAuth, shop: Shop, db) -> tuple[int, str]:
    assert (await connect(client, oauth, shop.admin)) == {"connected": "acme.shop"}
    account_id = await db.fetchval("SELECT id FROM ig_accounts WHERE ig_id = $1", IG_ID)
    token = next(token for token, info in oauth.tokens.items() if info.long_lived)
    return account_id, token


async def stored_token(rt: Runtime, db, account_id: int) -> str:
    enc = await db.fetchval("SELECT access_token_enc FROM ig_accounts WHERE id = $1", account_id)
    return rt.cipher.decrypt(enc, secret_context(ACCESS_TOKEN, account_id))


async def test_refresh_on_time(
    client: httpx.AsyncClient,
    shop: Shop,
    oauth: FakeOAuth,
    fake: FakeGraphState,
    rt: Runtime,
    db,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    account_id, token = await connected(client, oauth, shop, db)
    oauth.set_age(token, age=45 * 86400)  # Meta's view: 45 days old, 15 left
    await age_account(db, account_id, age=45 * DAY, expires_in=15 * DAY)
    report = await TokenRefresher(rt).refresh_due()
    assert report.refreshed == [account_id]
    fresh = await stored_token(rt, db, account_id)
    assert fresh != token and oauth.tokens[fresh].long_lived
    row = await db.fetchrow("SELECT * FROM ig_accounts WHERE id = $1", account_id)
    assert row["status"] == "connected"
    assert row["token_expires_at"] - row["token_refreshed_at"] > 59 * DAY
    [request] = fake.requests("/refresh_access_token")
    assert request.query["grant_type"] == "ig_refresh_token"
    assert "account.token_refreshed" in await audit_actions(db, shop.workspace_id)
    # Nothing more is due now.
    assert (await TokenRefresher(rt).refresh_due()).refreshed == []
    for secret in (token, fresh):
        assert secret not in caplog.text


async def test_too_early_is_not_refreshed(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, rt: Runtime, db
) -> None:
    account_id, token = await connected(client, oauth, shop, db)
    # Expiring soon, but refreshed an hour ago: Meta refuses tokens under 24 h old.
    await age_account(db, account_id, age=timedelta(hours=1), expires_in=5 * DAY)
    report = await TokenRefresher(rt).refresh_due()
    assert report.refreshed == report.failed == report.reconnect_required == []
    assert fake.requests("/refresh_access_token") == []
    # Old enough but far from expiry: not due either.
    await age_account(db, account_id, age=2 * DAY, expires_in=50 * DAY)
    assert (await TokenRefresher(rt).refresh_due()).refreshed == []
    assert await stored_token(rt, db, account_id) == token


async def test_expired_token_needs_a_reconnect(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, rt: Runtime, db
) -> None:
    account_id, _ = await connected(client, oauth, shop, db)
    await age_account(db, account_id, age=61 * DAY, expires_in=-DAY)
    report = await TokenRefresher(rt).refresh_due()
    assert report.reconnect_required == [account_id]
    assert fake.requests("/refresh_access_token") == []  # an expired token cannot be refreshed
    row = await db.fetchrow("SELECT status, status_reason FROM ig_accounts")
    assert row["status"] == "reconnect_required" and "expired" in row["status_reason"]
    actions = await audit_actions(db, shop.workspace_id)
    assert actions[-2:] == ["account.token_refresh_failed", "account.reconnect_required"]


async def test_error_190_marks_reconnect_required_for_everyone(
    client: httpx.AsyncClient,
    shop: Shop,
    oauth: FakeOAuth,
    fake: FakeGraphState,
    rt: Runtime,
    db,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    account_id, token = await connected(client, oauth, shop, db)
    await age_account(db, account_id, age=50 * DAY, expires_in=10 * DAY)
    oauth.revoke(fake, token)  # the user removed the app on Instagram
    report = await TokenRefresher(rt).refresh_due()
    assert report.reconnect_required == [account_id]
    # Agents see it, with why (the composer shows status_reason).
    listed = (await client.get("/api/v1/accounts", headers=shop.agent.headers)).json()
    account = listed[0]["account"]
    assert account["status"] == "reconnect_required" and "190" in account["status_reason"]
    event = await db.fetchrow(
        "SELECT type, payload, audience_roles, audience_user_id FROM events"
        " WHERE workspace_id = $1 ORDER BY seq DESC LIMIT 1",
        shop.workspace_id,
    )
    assert event["type"] == "account.updated" and "reconnect_required" in event["payload"]
    assert event["audience_roles"] is None and event["audience_user_id"] is None  # everyone
    assert (await audit_actions(db, shop.workspace_id))[-2:] == [
        "account.token_refresh_failed",
        "account.reconnect_required",
    ]
    assert token not in caplog.text
    # Reconnecting resumes the same account.
    assert (await connect(client, oauth, shop.admin)) == {"connected": "acme.shop"}
    row = await db.fetchrow("SELECT id, status, status_reason FROM ig_accounts")
    assert (row["id"], row["status"], row["status_reason"]) == (account_id, "connected", "")


async def test_passing_failure_is_audited_and_kept(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, rt: Runtime, db
) -> None:
    from wazify.fakemeta.state import FailureRule

    account_id, token = await connected(client, oauth, shop, db)
    await age_account(db, account_id, age=50 * DAY, expires_in=10 * DAY)
    oauth.set_age(token, age=50 * 86400)
    fake.inject_failure(FailureRule(path_prefix="/refresh_access_token", status=503))
    report = await TokenRefresher(rt).refresh_due()
    assert report.failed == [account_id]
    assert await db.fetchval("SELECT status FROM ig_accounts") == "connected"
    assert (await audit_actions(db, shop.workspace_id))[-1] == "account.token_refresh_failed"
    assert (await TokenRefresher(rt).refresh_due()).refreshed == [account_id]


async def test_worker_resubscribes_after_outage(
    client: httpx.AsyncClient, shop: Shop, oauth: FakeOAuth, rt: Runtime, db
) -> None:
    account_id, _ = await connected(client, oauth, shop, db)
    refresher = TokenRefresher(rt)
    assert (await refresher.check_subscriptions()).resubscribed == []
    oauth.drop_subscription(IG_ID)
    report = await refresher.check_subscriptions()
    assert report.resubscribed == [account_id] and IG_ID in oauth.subscriptions
    assert "account.resubscribed" in await audit_actions(db, shop.workspace_id)

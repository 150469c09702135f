"""The audit log: an entry for every audited action (actor, action, target, before/after,
client address, time), read by admins and supervisors with filters and cursor pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from tests.auth.conftest import CLIENT_ADDR, PASSWORD, invite_secret, login


async def all_entries(client, member, query: str = "") -> list[dict]:
    items, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        response = await client.get(f"/api/v1/audit?limit=3{query}{suffix}", headers=member.headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        if (cursor := response.json()["next_cursor"]) is None:
            return items


async def test_every_audited_action_writes_an_entry(client, world) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    before = datetime.now(UTC)

    # Sign-in failure and success, logout.
    assert (await login(client, "admin@example.com", "wrong password!")).status_code == 401
    session = await login(client, "admin@example.com")
    headers = {"X-CSRF-Token": session.json()["csrf_token"]}
    # Tokens.
    token = (await client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)).json()
    await client.delete(f"/api/v1/tokens/{token['token']['id']}", headers=headers)
    # Members: created with a password, invited and accepted, role changed, deactivated.
    created = await client.post(
        "/api/v1/members",
        json={"email": "m@example.com", "role": "agent", "password": PASSWORD},
        headers=headers,
    )
    user_id = created.json()["member"]["user_id"]
    invited = await client.post(
        "/api/v1/members", json={"email": "i@example.com", "role": "agent"}, headers=headers
    )
    secret = invite_secret(invited)
    await client.post("/api/v1/invitations/accept", json={"token": secret, "password": PASSWORD})
    await client.patch(f"/api/v1/members/{user_id}", json={"role": "supervisor"}, headers=headers)
    await client.post(f"/api/v1/members/{user_id}/deactivate", headers=headers)
    # Password: a failed change, then a change.
    await client.post(
        "/api/v1/me/password",
        json={"current_password": "wrong password!", "new_password": "another passphrase"},
        headers=headers,
    )
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "another passphrase"},
        headers=headers,
    )
    assert changed.status_code == 204
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204

    client.cookies.clear()
    await world.open_session(admin)  # the change above ended the admin's other sessions
    entries = [e for e in await all_entries(client, admin) if e["created_at"] >= before.isoformat()]
    by_action = {entry["action"]: entry for entry in entries}
    assert sorted(by_action) == [
        "auth.login",
        "auth.login_failed",
        "auth.logout",
        "auth.password_change_failed",
        "auth.password_changed",
        "invitation.accepted",
        "invitation.created",
        "member.created",
        "member.deactivated",
        "member.role_changed",
        "token.created",
        "token.revoked",
    ]
    for entry in entries:
        assert entry["client_addr"] == CLIENT_ADDR, entry
        assert datetime.fromisoformat(entry["created_at"]) >= before
    assert by_action["member.role_changed"] | {"id": 0, "created_at": ""} == {
        "id": 0,
        "actor_id": admin.user_id,
        "actor_label": "admin@example.com",
        "action": "member.role_changed",
        "target_type": "user",
        "target_id": str(user_id),
        "before": {"role": "agent"},
        "after": {"role": "supervisor"},
        "client_addr": CLIENT_ADDR,
        "created_at": "",
    }
    assert by_action["auth.login_failed"]["actor_id"] == admin.user_id
    assert by_action["invitation.accepted"]["actor_label"] == "i@example.com"


async def test_filters_and_pages(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    supervisor = await world.member(workspace_id, "sup@example.com", "supervisor")
    for n in range(4):
        await client.post("/api/v1/tokens", json={"name": f"t{n}"}, headers=supervisor.headers)
    await client.post("/api/v1/tokens", json={"name": "mine"}, headers=admin.headers)
    # Backdate two entries so a time window can tell them apart.
    await db.execute(
        "UPDATE audit_entries SET created_at = now() - interval '2 days'"
        " WHERE id IN (SELECT id FROM audit_entries WHERE action = 'token.created'"
        " ORDER BY id LIMIT 2)"
    )

    by_actor = await all_entries(client, admin, f"&actor={supervisor.user_id}&action=token.created")
    assert [e["after"]["name"] for e in by_actor] == ["t3", "t2", "t1", "t0"]
    since = quote((datetime.now(UTC) - timedelta(days=1)).isoformat())
    recent = await all_entries(client, supervisor, f"&action=token.created&since={since}")
    assert [e["after"]["name"] for e in recent] == ["mine", "t3", "t2"]
    old = await all_entries(client, supervisor, f"&action=token.created&until={since}")
    assert [e["after"]["name"] for e in old] == ["t1", "t0"]
    # Pages are newest first, by (created_at, id), with no entry repeated or skipped.
    everything = await all_entries(client, admin)
    ordered = sorted(everything, key=lambda e: (e["created_at"], e["id"]), reverse=True)
    assert everything == ordered
    assert (
        len({e["id"] for e in everything})
        == len(everything)
        == await db.fetchval(
            "SELECT count(*) FROM audit_entries WHERE workspace_id = $1", workspace_id
        )
    )


async def test_audit_entry_by_id_and_bad_parameters(client, world) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    [latest, *_] = (await client.get("/api/v1/audit", headers=admin.headers)).json()["items"]

    one = await client.get(f"/api/v1/audit/{latest['id']}", headers=admin.headers)
    bad_limit = await client.get("/api/v1/audit?limit=500", headers=admin.headers)
    bad_time = await client.get("/api/v1/audit?since=yesterday", headers=admin.headers)

    assert one.status_code == 200 and one.json() == latest
    assert bad_limit.status_code == 400
    assert bad_limit.json()["error"] == {
        "code": "invalid",
        "message": "limit must be from 1 to 200",
        "field": "limit",
    }
    assert bad_time.status_code == 400 and bad_time.json()["error"]["field"] == "since"

"""No password, session id, API token, invitation link or CSRF token in any log line,
across a whole sign-in, token and invitation flow, with every logger at DEBUG."""

from __future__ import annotations

import logging

import pytest

from tests.auth.conftest import PASSWORD, invite_secret, login

WRONG = "a wrong but plausible password"
NEW = "the replacement passphrase"
INVITEE = "the invitee's own passphrase"


async def test_no_secret_reaches_any_log_line(
    client, world, db, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Loggers that do not propagate to the root (a framework's own) are captured too.
    silent = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in silent:
        logger.addHandler(caplog.handler)
    try:
        secrets = await run_flow(client, world)
    finally:
        for logger in silent:
            logger.removeHandler(caplog.handler)

    lines = [caplog.handler.format(record) for record in caplog.records]
    text = "\n".join(lines)
    assert "sign-in refused (wrong_password)" in text  # the capture works
    assert "sign-in refused (unknown_email)" in text
    for secret in secrets:
        assert secret not in text, f"a secret of length {len(secret)} reached the logs"
    # Nor the audit log or the event log (a password typed into the email field included).
    stored = await db.fetchval(
        "SELECT string_agg(t, ' ') FROM (SELECT row_to_json(a)::text AS t FROM audit_entries a"
        " UNION ALL SELECT row_to_json(e)::text FROM events e) AS rows"
    )
    assert "auth.login_failed" in stored
    for secret in secrets:
        assert secret not in stored, f"a secret of length {len(secret)} was stored"


async def run_flow(client, world) -> list[str]:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "admin@example.com", "admin", session=False)
    secrets = [PASSWORD, WRONG, NEW, INVITEE]

    assert (await login(client, "admin@example.com", WRONG)).status_code == 401
    # A password typed into the email field must not be logged either.
    assert (await login(client, PASSWORD, PASSWORD)).status_code == 401
    signed_in = await login(client, "admin@example.com")
    csrf = signed_in.json()["csrf_token"]
    secrets += [csrf, signed_in.cookies["wazify_session"]]
    headers = {"X-CSRF-Token": csrf}

    token = (await client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)).json()
    secrets.append(token["secret"])
    bearer = {"Authorization": f"Bearer {token['secret']}"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['secret']}x"})

    invited = await client.post(
        "/api/v1/members", json={"email": "ivy@example.com", "role": "agent"}, headers=headers
    )
    link = invite_secret(invited)
    secrets.append(link)
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": link, "password": INVITEE}
    )
    assert accepted.status_code == 201
    await client.post(
        "/api/v1/members",
        json={"email": "m@example.com", "role": "agent", "password": "tiny"},
        headers=headers,
    )

    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=headers,
    )
    assert changed.status_code == 204
    await client.delete(f"/api/v1/tokens/{token['token']['id']}", headers=headers)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    return secrets

"""JSON endpoints take JSON only (415 otherwise), so a cross-site form cannot post to them:
login CSRF (a page signing a victim's browser into the attacker's account) is the case
that matters, since sign-in is the one unsafe route without a CSRF token. Bad bodies on
the unauthenticated sign-in are 400s, never 500s."""

from __future__ import annotations

import json
import re

from tests.auth.conftest import PASSWORD
from wazify.fakemeta.webhooks import ALL_CASES, encode_body, signed

CREDENTIALS = json.dumps({"email": "alice@example.com", "password": PASSWORD})
# What an HTML form on another site can send without a CORS preflight, and no type at all.
FORM_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None)


async def _post_login(client, content: str | bytes, content_type: str | None):
    headers = {"Content-Type": content_type} if content_type else {}
    return await client.post("/api/v1/auth/login", content=content, headers=headers)


async def test_sign_in_refuses_what_a_cross_site_form_can_send(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    for content_type in FORM_TYPES:
        response = await _post_login(client, CREDENTIALS, content_type)
        assert response.status_code == 415, (content_type, response.text)
        error = response.json()["error"]
        assert error["code"] == "unsupported_media_type"
        assert "application/json" in error["message"]
        assert "set-cookie" not in response.headers
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0
    for content_type in ("application/json", "application/json; charset=UTF-8"):
        response = await _post_login(client, CREDENTIALS, content_type)
        assert response.status_code == 200, (content_type, response.text)
    response = await _post_login(client, CREDENTIALS, "application/json; charset=latin-1")
    assert response.status_code == 415


async def test_every_json_endpoint_takes_json_only(client, world) -> None:
    """Every operation of the OpenAPI schema that has a request body, as an admin."""
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    schema = (await client.get("/schema/openapi.json")).json()
    operations = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert len(operations) >= 12
    refused = []
    for method, path in operations:
        response = await client.request(
            method, path, content="{}", headers={**admin.headers, "Content-Type": "text/plain"}
        )
        refused.append((method, path, response.status_code))
    assert [item for item in refused if item[2] != 415] == []


async def test_bad_sign_in_bodies_are_400s_naming_the_field(client) -> None:
    deep = b'{"email": ' + b"[" * 3000 + b"]" * 3000 + b', "password": "x"}'
    response = await _post_login(client, deep, "application/json")
    assert response.status_code == 400, response.text
    assert "levels deep" in response.json()["error"]["message"]
    nul = json.dumps({"email": "alice\u0000@example.com", "password": "x"})
    response = await _post_login(client, nul, "application/json")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "email"


async def test_the_webhook_endpoint_is_not_a_json_endpoint_of_the_api(client) -> None:
    """Meta posts `application/json`; the endpoint authenticates by signature, not by
    cookie, so it is no CSRF target and keeps taking Meta's deliveries as they come."""
    raw = encode_body(ALL_CASES["unknown_object"]())
    for content_type in ("application/json", "application/json; charset=utf-8", "text/plain"):
        headers = {**signed(raw, "3f1b2c4d5e6f708192a3b4c5d6e7f809"), "Content-Type": content_type}
        response = await client.post("/webhooks/instagram", content=raw, headers=headers)
        assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")

"""The export routes over HTTP, with the app's own worker: an admin requests an export and
downloads it through its link; the role matrix; another workspace's ids are 404; a link
tampered with is a 404, an expired one a 410; requests and downloads are audited."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.exports.conftest import Shop, request_export
from tests.support.http import CLIENT_ADDR
from tests.support.world import SYSTEM
from wazify.actions.auth import do_create_token
from wazify.actions.uow import unit_of_work
from wazify.exports.links import download_path
from wazify.lib.errors import Conflict
from wazify.runtime import Runtime
from wazify.settings import Settings


async def until_done(client: httpx.AsyncClient, shop: Shop, export_id: int) -> dict:
    async with asyncio.timeout(15):
        while True:
            response = await client.get(f"/api/v1/exports/{export_id}", headers=shop.admin.headers)
            assert response.status_code == 200, response.text
            job = response.json()
            if job["status"] in ("done", "failed"):
                return job
            await asyncio.sleep(0.05)


async def audit(db, action: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT actor_id, actor_label, target_type, target_id, after::text AS after,"
        " client_addr FROM audit_entries WHERE action = $1 ORDER BY id",
        action,
    )
    return [dict(row) for row in rows]


async def test_an_admin_requests_an_export_and_downloads_it(
    client: httpx.AsyncClient, db, shop: Shop, export_settings: Settings
) -> None:
    response = await client.post("/api/v1/exports", json={}, headers=shop.admin.headers)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["kind"], queued["status"], queued["download_url"]) == (
        "workspace",
        "queued",
        None,
    )
    job = await until_done(client, shop, queued["id"])
    assert job["status"] == "done" and job["rows_done"] == job["rows_total"] > 0
    assert job["download_url"] == export_settings.public_url + job["download_path"]
    download = await client.get(job["download_path"])  # the link alone: no session
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    disposition = download.headers["content-disposition"]
    assert f'filename="wazify-export-shop-workspace-{job["id"]}.zip"' in disposition
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (
        manifest["export_id"] == job["id"] and manifest["exported_by"]["label"] == shop.admin.email
    )
    assert len(download.content) == job["file_size"]
    requested, downloaded = (
        await audit(db, "export.requested"),
        await audit(db, "export.downloaded"),
    )
    assert [(r["actor_id"], r["target_id"], r["client_addr"]) for r in requested] == [
        (shop.admin.user_id, str(job["id"]), CLIENT_ADDR)
    ]
    assert [(r["actor_id"], r["actor_label"]) for r in downloaded] == [(None, "download link")]
    # The same link, fetched by the signed-in admin: the audit names them.
    again = await client.get(job["download_path"], headers=shop.admin.headers)
    assert again.status_code == 200
    assert (await audit(db, "export.downloaded"))[-1]["actor_id"] == shop.admin.user_id


async def test_a_contact_export_from_the_api(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.post(
        "/api/v1/exports", json={"contact_id": shop.alice}, headers=shop.admin.headers
    )
    assert response.status_code == 202, response.text
    job = await until_done(client, shop, response.json()["id"])
    assert (job["kind"], job["contact_id"], job["status"]) == ("contact", shop.alice, "done")
    download = await client.get(job["download_path"])
    assert f"contact-{shop.alice}-{job['id']}.zip" in download.headers["content-disposition"]
    listing = await client.get("/api/v1/exports", headers=shop.admin.headers)
    assert [item["id"] for item in listing.json()["items"]] == [job["id"]]


@pytest.fixture
async def admin_token(runtime: Runtime, shop: Shop) -> str:
    async with unit_of_work(runtime, SYSTEM) as uow:
        _, secret = await do_create_token(uow, shop.workspace_id, shop.admin.user_id, "script")
    return secret


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", (202, 200, 200)),
        ("admin_token", (202, 200, 200)),
        ("supervisor", (403, 403, 403)),
        ("agent", (403, 403, 403)),
        ("anonymous", (401, 401, 401)),
    ],
)
async def test_only_admins_export(
    client: httpx.AsyncClient, shop: Shop, admin_token: str, who: str, expected: tuple
) -> None:
    headers = {
        "admin": shop.admin.headers,
        "admin_token": {"Authorization": f"Bearer {admin_token}"},
        "supervisor": shop.supervisor.headers,
        "agent": shop.agent.headers,
        "anonymous": {},
    }[who]
    created = await client.post("/api/v1/exports", json={}, headers=headers)
    export_id = created.json()["id"] if created.status_code == 202 else 1
    listed = await client.get("/api/v1/exports", headers=headers)
    fetched = await client.get(f"/api/v1/exports/{export_id}", headers=headers)
    assert (created.status_code, listed.status_code, fetched.status_code) == expected
    if expected[0] == 403:
        assert "admin" in created.json()["error"]["message"]


async def test_another_workspaces_exports_and_contacts_do_not_exist(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    theirs = await client.post("/api/v1/exports", json={}, headers=shop.other_admin.headers)
    assert theirs.status_code == 202
    other_id = theirs.json()["id"]
    response = await client.get(f"/api/v1/exports/{other_id}", headers=shop.admin.headers)
    assert response.status_code == 404
    response = await client.post(
        "/api/v1/exports", json={"contact_id": shop.clara}, headers=shop.admin.headers
    )
    assert (response.status_code, response.json()["error"]["field"]) == (404, "contact_id")
    listing = await client.get("/api/v1/exports", headers=shop.admin.headers)
    assert other_id not in [item["id"] for item in listing.json()["items"]]


async def test_no_body_is_the_whole_workspace(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.post("/api/v1/exports", headers=shop.admin.headers)
    assert response.status_code == 202, response.text
    assert (response.json()["kind"], response.json()["contact_id"]) == ("workspace", None)


async def test_bad_requests_name_their_field(client: httpx.AsyncClient, shop: Shop) -> None:
    bad = (
        ({"contact_id": 0}, "contact_id"),
        ({"contact_id": 2**63}, "contact_id"),  # past Postgres's bigint: was a 500
        ({"kind": "all"}, "kind"),
    )
    for body, field in bad:
        response = await client.post("/api/v1/exports", json=body, headers=shop.admin.headers)
        assert response.status_code == 400, response.text
        assert field in response.text
    response = await client.get("/api/v1/exports?limit=0", headers=shop.admin.headers)
    assert (response.status_code, response.json()["error"]["field"]) == (400, "limit")


async def test_one_export_of_a_scope_at_a_time(runtime: Runtime, shop: Shop) -> None:
    first = await request_export(runtime, shop)
    with pytest.raises(Conflict, match=f"under way \\(export {first}\\)") as refused:
        await request_export(runtime, shop)
    assert (refused.value.status, refused.value.code) == (409, "export_in_progress")


async def test_simultaneous_requests_of_one_scope_queue_one_export(
    runtime: Runtime, shop: Shop, db
) -> None:
    """A double click, or two admins at once: one is queued, the others are told it is."""
    outcomes = await asyncio.gather(
        *(request_export(runtime, shop) for _ in range(8)), return_exceptions=True
    )
    queued = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert (len(queued), len(refused)) == (1, 7), outcomes
    assert await db.fetchval("SELECT count(*) FROM export_jobs") == 1
    await request_export(runtime, shop, shop.bruno)  # another scope may run beside it
    with pytest.raises(Conflict):
        await request_export(runtime, shop, shop.bruno)
    await request_export(runtime, shop, shop.alice)


async def test_a_link_tampered_with_is_404_and_an_expired_one_410(
    client: httpx.AsyncClient, db, shop: Shop, export_settings: Settings
) -> None:
    response = await client.post("/api/v1/exports", json={}, headers=shop.admin.headers)
    job = await until_done(client, shop, response.json()["id"])
    link = urlsplit(job["download_path"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    later = int(query["expires"]) + 3600
    tampered = [
        f"{link.path}?expires={query['expires']}&signature={query['signature'][:-2]}xx",
        f"{link.path}?expires={later}&signature={query['signature']}",  # a longer life
        f"/api/v1/exports/{job['id'] + 1}/download?{link.query}",  # another export
    ]
    for url in tampered:
        assert (await client.get(url)).status_code == 404, url
    assert (await client.get(f"{link.path}?expires=soon&signature=x")).status_code == 400
    # Its time passes (the row's expiry and the link's, signed as the app signs them).
    past = await db.fetchval(
        "UPDATE export_jobs SET expires_at = now() - interval '1 minute' WHERE id = $1"
        " RETURNING expires_at",
        job["id"],
    )
    expired = download_path(export_settings, job["id"], past)
    response = await client.get(expired)
    assert (response.status_code, response.json()["error"]["code"]) == (410, "gone")
    refreshed = await client.get(f"/api/v1/exports/{job['id']}", headers=shop.admin.headers)
    assert refreshed.json()["download_path"] is None
    # Swept: the file is gone; even the link it had before is dead.
    await db.execute("UPDATE export_jobs SET status = 'expired' WHERE id = $1", job["id"])
    assert (await client.get(job["download_path"])).status_code == 410

"""Attachments from the composer through the API: the format sniffed from the bytes (the
client's Content-Type ignored), Meta's limits (415, 413), stored in the upload folder,
served at an unguessable public URL, sent through the outbox with its status; another
workspace's conversation and a closed window write nothing; an erasure removes the file."""

from __future__ import annotations

import json
import os
import time

import msgspec
import pytest

from tests.replies.conftest import MESSAGES_PATH, wait_for
from wazify.actions.retention import do_expire_messages
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.uploads import do_send_upload
from wazify.fakemeta.items import now_ms
from wazify.uploads.sniff import MB, sniff
from wazify.workers.privacy import PrivacySweeper

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
MP4 = b"\x00\x00\x00\x18ftypisom" + bytes(64)
M4A = b"\x00\x00\x00\x18ftypM4A " + bytes(64)
DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def send_settings(settings, fake_graph, tmp_path):
    """The replies tests' settings, with an upload folder of this test's own."""
    return msgspec.structs.replace(
        settings,
        meta_graph_url=fake_graph[0],
        send_timeout_seconds=1.0,
        send_unknown_deadline_seconds=2,
        upload_dir=tmp_path / "uploads",
    )


async def upload(shop, data: bytes, content_type: str = "application/octet-stream", **kw):
    conversation_id = kw.pop("conversation_id", shop.conversation_id)
    return await shop.live.http.post(
        f"/api/v1/conversations/{conversation_id}/attachments",
        content=data,
        headers={**kw.pop("headers", shop.agent.headers), "Content-Type": content_type},
        params=kw,
    )


def stored(shop) -> list:
    folder = shop.runtime.settings.uploads_folder
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_the_format_comes_from_the_bytes() -> None:
    assert sniff(PNG).content_type == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + bytes(12)).kind == "image"
    assert sniff(b"GIF89a" + bytes(10)).content_type == "image/gif"
    assert (sniff(MP4).kind, sniff(M4A).kind) == ("video", "audio")
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ").content_type == "audio/wav"
    assert sniff(b"\x1a\x45\xdf\xa3" + bytes(12)).kind == "video"
    assert sniff(b"\xff\xf1\x50\x80" + bytes(12)).content_type == "audio/aac"
    for other in (b"%PDF-1.7", b"ID3\x03\x00", b"\xff\xfb\x90\x00", b"<svg ", b"hello"):
        assert sniff(other + bytes(12)) is None, other


async def test_an_image_is_stored_served_and_sent(shop, fake) -> None:
    # The browser may say anything: the bytes say it is a PNG.
    response = await upload(shop, PNG, "audio/mpeg", client_id="up-1")

    assert response.status_code == 201, response.text
    message = response.json()
    [attachment] = message["attachments"]
    assert attachment["type"] == "image"
    url = attachment["url"]
    assert url.startswith(shop.runtime.settings.public_url + "/media/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 40
    [path] = stored(shop)
    assert path.read_bytes() == PNG and path.parent.name == str(shop.workspace_id)
    served = await shop.live.http.get(f"/media/{token}")
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert (await shop.live.http.get(f"/media/{token[:-1]}x")).status_code == 404
    assert (await shop.live.http.get("/media/..%2f..%2fetc%2fpasswd")).status_code in (400, 404)
    # Through the outbox to Meta, as an attachment by URL, with its status.
    row = await shop.settled(message["id"], ("sent", "delivered", "read"))
    assert row["mid"]
    [sent] = [json.loads(r.body) for r in fake.requests(MESSAGES_PATH)]
    assert sent["message"] == {"attachment": {"type": "image", "payload": {"url": url}}}
    # The same client id again: the same message, no second file.
    again = await upload(shop, PNG, client_id="up-1")
    assert again.status_code == 200 and again.json()["id"] == message["id"]
    assert len(stored(shop)) == 1
    events = await shop.runtime.engine.pool.fetch(
        "SELECT type FROM events WHERE workspace_id = $1 AND payload::text LIKE $2 ORDER BY seq",
        shop.workspace_id,
        f"%{token}%",
    )
    assert [e["type"] for e in events][:2] == ["message.created", "message.updated"]
    audit = await shop.runtime.engine.pool.fetchval(
        "SELECT after::text FROM audit_entries WHERE action = 'attachment.uploaded'"
    )
    assert json.loads(audit) == {"kind": "image", "content_type": "image/png", "bytes": len(PNG)}


async def test_video_and_audio_are_sent_with_their_kind(shop, fake) -> None:
    video = await upload(shop, MP4, "video/mp4")
    audio = await upload(shop, M4A, "")
    assert (video.status_code, audio.status_code) == (201, 201)
    assert video.json()["attachments"][0]["type"] == "video"
    assert audio.json()["attachments"][0]["type"] == "audio"


async def test_bad_uploads_are_refused_and_leave_no_file(shop, fake) -> None:
    pdf = await upload(shop, b"%PDF-1.7\n" + bytes(100), "image/png")
    assert pdf.status_code == 415
    assert pdf.json()["error"]["field"] == "file" and "Instagram cannot send" in pdf.text
    big = await upload(shop, PNG + bytes(8 * MB))
    assert big.status_code == 413 and "up to 8 MB" in big.json()["error"]["message"]
    empty = await upload(shop, b"")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_file"
    nobody = await upload(shop, PNG, headers={})
    assert nobody.status_code == 401
    bad_id = await upload(shop, PNG, conversation_id=0)
    assert bad_id.status_code == 400
    assert stored(shop) == [] and fake.requests(MESSAGES_PATH) == []


async def test_another_workspace_and_a_closed_window_write_nothing(shop, fake) -> None:
    rival_ws = await shop.world.workspace("rival")
    rival = await shop.world.member(rival_ws, "rival@rival.test", "admin")
    foreign = await upload(shop, PNG, headers=rival.headers)
    assert foreign.status_code == 404
    old = await shop.customer_writes("9200000000000009", ts_ms=now_ms() - 8 * DAY_MS)
    closed = await upload(shop, PNG, conversation_id=old)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "window_closed"
    assert stored(shop) == [] and fake.requests(MESSAGES_PATH) == []


async def test_erasing_the_contact_removes_the_files(shop, fake) -> None:
    response = await upload(shop, PNG)
    assert response.status_code == 201, response.text
    await shop.settled(response.json()["id"], ("sent", "delivered", "read"))
    assert len(stored(shop)) == 1
    admin = await shop.world.member(shop.workspace_id, "boss@shop.test", "admin")
    contact_id = await shop.runtime.engine.pool.fetchval(
        "SELECT contact_id FROM conversations WHERE id = $1", shop.conversation_id
    )
    erased = await shop.live.http.post(
        f"/api/v1/contacts/{contact_id}/erase", headers=admin.headers
    )
    assert erased.status_code == 200, erased.text
    assert stored(shop) == []
    token = response.json()["attachments"][0]["url"].rsplit("/", 1)[1]
    assert (await shop.live.http.get(f"/media/{token}")).status_code == 404


async def test_message_retention_removes_the_file_with_its_message(shop, fake) -> None:
    response = await upload(shop, PNG)
    assert response.status_code == 201, response.text
    message_id = response.json()["id"]
    await shop.settled(message_id, ("sent", "delivered", "read"))
    pool = shop.runtime.engine.pool

    async def expired() -> bool:
        # Aged again each round (a late status update may have written the row), and swept
        # again: a row the echo's processing holds is skipped (SKIP LOCKED) until it is free.
        await pool.execute(
            "UPDATE messages SET sent_at = now() - interval '40 days' WHERE id = $1", message_id
        )
        async with unit_of_work(shop.runtime, Actor.system("test")) as uow:
            await do_expire_messages(uow, shop.workspace_id, 30, 100)
        return await pool.fetchval("SELECT count(*) FROM messages WHERE id = $1", message_id) == 0

    await wait_for(expired)
    assert stored(shop) == []
    assert await pool.fetchval("SELECT count(*) FROM uploads") == 0


async def test_a_file_whose_unit_failed_to_commit_is_reaped_after_an_hour(shop, fake) -> None:
    kept = await upload(shop, PNG)
    assert kept.status_code == 201, kept.text
    settings = shop.runtime.settings
    # The file is written, then the unit fails at its end (as when its commit fails): no
    # row names the file. One more is written just now, by a unit that may still commit.
    for _ in range(2):
        with pytest.raises(RuntimeError):
            async with unit_of_work(shop.runtime, Actor.system("test")) as uow:
                await do_send_upload(
                    uow,
                    shop.workspace_id,
                    shop.conversation_id,
                    PNG,
                    folder=settings.uploads_folder,
                    public_url=settings.public_url,
                    author_id=shop.agent.user_id,
                    by_person=True,
                )
                raise RuntimeError("the commit fails")
    files = stored(shop)
    assert len(files) == 3
    served = kept.json()["attachments"][0]["url"].rsplit("/", 1)[1]
    old = time.time() - 2 * 3600
    young = next(path for path in files if not path.name.startswith(served))
    for path in files:
        if path != young:
            os.utime(path, (old, old))

    removed = await PrivacySweeper(shop.runtime).sweep()

    assert removed["orphan_files"] == 1
    assert sorted(stored(shop)) == sorted(
        path for path in files if path == young or path.name.startswith(served)
    )
    assert (await shop.live.http.get(f"/media/{served}")).status_code == 200

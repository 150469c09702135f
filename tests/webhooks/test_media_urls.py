"""A webhook with a javascript: attachment URL: stored and shown without the URL, the message
kept; behind a fake (http) Graph API its own http media stay. The rules themselves are
tests/meta/test_media_urls.py."""

from __future__ import annotations

import dataclasses
import json

import msgspec

from tests.webhooks.conftest import ingest
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    CONTACT,
    attachment,
    attachment_message,
    body,
    entry,
)
from wazify.runtime import Runtime

CDN = "https://scontent.cdninstagram.com/v/1.jpg"
FAKE_MEDIA = "http://127.0.0.1:5099/media/1.jpg"


async def stored_urls(db) -> list[str | None]:
    raw = await db.fetchval("SELECT attachments::text FROM messages WHERE mid = 'm_js'")
    return [a["url"] for a in json.loads(raw)]


def delivery(*urls: str) -> dict:
    items = [attachment("image", url) for url in urls]
    return body([entry(ACCOUNT, [attachment_message(ACCOUNT, CONTACT, items, "hi", "m_js")])])


async def test_a_javascript_url_never_reaches_the_inbox(db, runtime: Runtime, inbox) -> None:
    await ingest(runtime, delivery("javascript:alert(document.cookie)", CDN, FAKE_MEDIA))
    assert await stored_urls(db) == [None, CDN, None]
    assert await db.fetchval("SELECT text FROM messages WHERE mid = 'm_js'") == "hi"
    events = await db.fetch("SELECT payload::text FROM events")
    assert events and all("javascript:" not in row["payload"] for row in events)


async def test_a_fake_graph_keeps_its_own_http_media(db, runtime: Runtime, inbox) -> None:
    fake = msgspec.structs.replace(runtime.settings, meta_graph_url="http://127.0.0.1:5099")
    await ingest(dataclasses.replace(runtime, settings=fake), delivery("javascript:x", FAKE_MEDIA))
    assert await stored_urls(db) == [None, FAKE_MEDIA]

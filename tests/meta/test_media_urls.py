"""Media URLs in webhooks: https kept, anything else dropped at normalisation with the message
kept and a warning naming where; plain http only from a fake (http) Graph API's host or the
app's own host. Rendering is client/tests/urls.test.js and tests/browser/test_security.py."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from wazify.fakemeta.webhooks import (
    ACCOUNT,
    CONTACT,
    attachment,
    attachment_message,
    body,
    encode_body,
    entry,
    message,
    postback,
    story_reply,
)
from wazify.meta.media_urls import HTTPS_ONLY, MediaUrlPolicy, media_url_policy
from wazify.meta.normalize import InboundMessage, PostbackReceived, normalize
from wazify.meta.payloads import decode_webhook

CDN = "https://scontent.cdninstagram.com/v/t51.2885-15/1.jpg?_nc_ht=x&oh=sig"
FAKE = media_url_policy("http://127.0.0.1:5099", "http://localhost:8000")
BAD = [
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "http://cdn.evil.example/1.jpg",
    "//cdn.evil.example/1.jpg",
    "file:///etc/passwd",
    "https://",
    "not a url",
]


def normalized(item: dict[str, Any], urls: MediaUrlPolicy = HTTPS_ONLY) -> Any:
    (only,) = normalize(decode_webhook(encode_body(body([entry(ACCOUNT, [item])]))), urls)
    return only


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_attachment_url_is_dropped_and_the_message_kept(
    bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wazify.meta")
    item = attachment_message(
        ACCOUNT,
        CONTACT,
        [attachment("image", bad), attachment("image", CDN), attachment("file", bad, title="x")],
        text="look at this",
        mid="m_bad",
    )
    got = normalized(item)
    assert isinstance(got, InboundMessage)
    assert got.text == "look at this"
    assert [(a.type, a.url) for a in got.attachments] == [
        ("image", None),
        ("image", CDN),
        ("file", None),
    ]
    assert got.attachments[2].title == "x"  # the rest of the attachment stays
    warnings = [r.getMessage() for r in caplog.records if r.name == "wazify.meta"]
    assert len(warnings) == 2 and all("in message m_bad" in w for w in warnings), warnings


def test_story_and_ad_urls_are_checked_too() -> None:
    story = normalized(story_reply(ACCOUNT, CONTACT, "love it", "123", "javascript:alert(1)"))
    assert story.reply_to_story_url is None and story.reply_to_story_id == "123"
    ad = {"ad_title": "Summer", "photo_url": "javascript:alert(1)", "video_url": CDN}
    referral = {"ref": "summer", "source": "ADS", "ads_context_data": ad}
    got = normalized(message(ACCOUNT, CONTACT, text="hi", referral=referral))
    assert got.referral["ads_context_data"] == {"ad_title": "Summer", "video_url": CDN}
    assert got.referral["ref"] == "summer"
    tapped = postback(ACCOUNT, CONTACT, "Start", "GO")
    tapped["postback"]["referral"] = referral
    got = normalized(tapped)
    assert isinstance(got, PostbackReceived)
    assert "photo_url" not in got.referral["ads_context_data"]


def test_https_is_kept_as_sent() -> None:
    got = normalized(story_reply(ACCOUNT, CONTACT, "wow", "9", CDN))
    assert got.reply_to_story_url == CDN


def test_plain_http_only_from_a_fake_graph_or_the_app_itself() -> None:
    assert FAKE.http_hosts == frozenset({"127.0.0.1", "localhost"})
    fake_media = "http://127.0.0.1:5099/media/1.jpg"
    demo_media = "http://localhost:8000/demo-media/shirt-navy.svg"
    for url in (fake_media, demo_media, CDN):
        assert FAKE.allows(url), url
        got = normalized(attachment_message(ACCOUNT, CONTACT, [attachment("image", url)]), FAKE)
        assert got.attachments[0].url == url
    for bad in BAD:
        assert not FAKE.allows(bad), bad
    # Behind the real Graph API (https), plain http is refused whatever the host.
    real = media_url_policy("https://graph.instagram.com", "http://localhost:8000")
    assert real is HTTPS_ONLY
    assert not real.allows(fake_media) and not real.allows(demo_media)
    got = normalized(attachment_message(ACCOUNT, CONTACT, [attachment("image", demo_media)]))
    assert got.attachments[0].url is None

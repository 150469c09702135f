"""Every case of PLATFORM.md section 12, posted signed and real-shaped through the endpoint:
the rows it leaves, to the column, and the events it emits, in order."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from tests.webhooks.conftest import (
    at_ms,
    deliver,
    event_log,
    ingest,
    last_seq,
    message_by_mid,
    stored_messages,
)
from wazify.conversations.queries import message_views
from wazify.fakemeta.cases import EDITED_TEXT, TEXT
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ACCOUNT_B,
    ALL_CASES,
    APP_PRIMARY,
    APP_SECONDARY,
    BUSINESS_SEQ,
    CONTACT,
    CONTACT_B,
    TS_MS,
    attachment,
    attachment_message,
    body,
    cdn_url,
    echo_message,
    entry,
    make_mid,
)

T0 = at_ms(TS_MS)
REPLY_TEXT = "Yes, size M is in stock."
AD = {
    "ref": "summer_linen_ad",
    "ad_id": "120210987654321098",
    "source": "ADS",
    "type": "OPEN_THREAD",
    "ads_context_data": {"ad_title": "Summer linen, 20% off", "photo_url": cdn_url(11)},
}
IGNORED_COMMENTS = ("ignored", "no direct-message events (comments or mentions are not handled)")


def mid(seq: int, account: str = ACCOUNT) -> str:
    return make_mid(account, seq)


def row(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "direction": "in",
        "kind": "message",
        "source": "customer",
        "mid": None,
        "text": None,
        "attachments": [],
        "reply_to_mid": None,
        "reply_to_story": None,
        "quick_reply_payload": None,
        "referral": None,
        "payload": None,
        "unsupported": False,
        "standby": False,
        "status": "received",
        "sent_at": T0,
    }
    assert set(fields) <= set(base), set(fields) - set(base)
    return base | fields


def att(type: str, url: str | None = None, **fields: Any) -> dict[str, Any]:
    base = {"type": type, "url": url, "title": None, "media_id": None, "supported": True}
    return base | {"raw": None} | fields


def urls(case: str) -> list[str]:
    """The attachment URLs exactly as the case's body carries them."""
    message = ALL_CASES[case]()["entry"][0]["messaging"][0]["message"]
    return [item["payload"]["url"] for item in message["attachments"]]


ORIGINAL = row(mid=mid(1), text=TEXT)
ECHO = row(
    direction="out",
    source="instagram_app",
    mid=mid(BUSINESS_SEQ),
    text=REPLY_TEXT,
    status="delivered",
)
SYNTHETIC = {
    "referral": re.compile(r"ref:[0-9a-f]{32}"),
    "optin": re.compile(r"optin:[0-9a-f]{32}"),
    "handover": re.compile(r"handover:[0-9a-f]{32}"),
}


@dataclass
class Case:
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    # Cases posted first (the message an effect refers to); their rows are in `rows` too.
    before: tuple[str | Callable[[], dict], ...] = ()
    receipt: tuple[str, str] = ("processed", "")
    # (igsid, unread count, referral) of every conversation.
    conversations: list[tuple[str, int, dict | None]] | None = None
    check: Callable[..., Any] | None = None


def media(case: str, type: str, seq: int) -> Case:
    return Case(
        rows=[row(mid=mid(seq), attachments=[att(type, url) for url in urls(case)])],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    )


def react_earlier() -> dict:
    return ALL_CASES["reaction_react"](ts_ms=TS_MS - 1000)


async def check_deleted(db, **_: Any) -> None:
    message = await message_by_mid(db, mid(1))
    assert message["deleted_at"] == T0


async def check_edited(db, **_: Any) -> None:
    message = await message_by_mid(db, mid(1))
    assert message["edit_count"] == 1
    assert message["edits"] == [{"text": TEXT, "replaced_at": "2026-11-30T09:15:00+00:00"}]


async def check_reacted(db, events, **_: Any) -> None:
    target = await message_by_mid(db, mid(BUSINESS_SEQ))
    reaction = {"reactor_kind": "contact", "reactor_id": CONTACT, "reaction": "love"}
    assert events[0][1]["message_id"] == target["id"]
    assert events[0][1]["reactions"] == [reaction | {"emoji": "\u2764\ufe0f"}]


async def check_unreacted(db, events, **_: Any) -> None:
    assert events[0][1]["reactions"] == []
    # The row stays as a tombstone, so that a late copy of the react loses to it.
    assert await db.fetchval("SELECT count(*) FROM reactions WHERE NOT removed") == 0


async def check_seen(db, events, **_: Any) -> None:
    target = await message_by_mid(db, mid(BUSINESS_SEQ))
    assert events[0][1]["message_ids"] == [target["id"]]


async def check_synthetic(kind: str, db, **_: Any) -> None:
    stored = await db.fetchval("SELECT mid FROM messages WHERE kind = $1", kind)
    assert SYNTHETIC[kind].fullmatch(stored), stored


CASES: dict[str, Case] = {
    "message_text": Case(
        rows=[ORIGINAL],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    ),
    "message_image": media("message_image", "image", 2),
    "message_images_multiple": media("message_images_multiple", "image", 12),
    "message_video": media("message_video", "video", 13),
    "message_audio": media("message_audio", "audio", 14),
    "message_file": media("message_file", "file", 15),
    "message_ig_post": Case(
        rows=[
            row(
                mid=mid(3),
                attachments=[
                    att(
                        "ig_post",
                        urls("message_ig_post")[0],
                        title="New drop: summer linen collection \u2600\ufe0f",
                        media_id="18056789012345678",
                    )
                ],
            )
        ],
        events=["conversation.created", "message.created"],
    ),
    "message_share_legacy": media("message_share_legacy", "share", 4),
    "message_ig_reel": Case(
        rows=[
            row(
                mid=mid(5),
                attachments=[
                    att(
                        "ig_reel",
                        urls("message_ig_reel")[0],
                        title="How we dye linen by hand",
                        media_id="18123456789012345",
                    )
                ],
            )
        ],
        events=["conversation.created", "message.created"],
    ),
    "story_mention": media("story_mention", "story_mention", 6),
    "story_reply": Case(
        rows=[
            row(
                mid=mid(7),
                text="Is this colour available online?",
                reply_to_story={"url": cdn_url(7), "id": "3512345678901234567"},
            )
        ],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    ),
    "message_reply_to": Case(
        before=("message_text",),
        rows=[ORIGINAL, row(mid=mid(8), text="Yes, that one!", reply_to_mid=mid(1))],
        events=["message.created"],
        conversations=[(CONTACT, 2, None)],
    ),
    "message_quick_reply": Case(
        rows=[row(mid=mid(9), text="Track my order", quick_reply_payload="QR_TRACK_ORDER")],
        events=["conversation.created", "message.created"],
    ),
    "message_like_heart": Case(
        rows=[row(mid=mid(10), attachments=[att("like_heart")])],
        events=["conversation.created", "message.created"],
    ),
    "message_ad_referral": Case(
        rows=[row(mid=mid(11), text="Is this on sale?", referral=AD)],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, AD)],
    ),
    "echo": Case(
        rows=[ECHO],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 0, None)],
    ),
    "self_test": Case(conversations=[]),
    "deleted": Case(
        before=("message_text",),
        rows=[ORIGINAL | {"text": None}],
        events=["message.updated"],
        check=check_deleted,
    ),
    "unsupported": Case(
        rows=[row(mid=mid(50), unsupported=True)],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    ),
    "message_edit": Case(
        before=("message_text",),
        rows=[ORIGINAL | {"text": EDITED_TEXT}],
        events=["message.updated"],
        check=check_edited,
    ),
    "reaction_react": Case(
        before=("echo",), rows=[ECHO], events=["reaction.changed"], check=check_reacted
    ),
    "reaction_unreact": Case(
        before=("echo", react_earlier),
        rows=[ECHO],
        events=["reaction.changed"],
        check=check_unreacted,
    ),
    "seen": Case(
        before=("echo",),
        rows=[ECHO | {"status": "read"}],
        events=["messages.seen"],
        check=check_seen,
    ),
    "postback": Case(
        rows=[
            row(
                kind="postback",
                mid=mid(40),
                text="What are your opening hours?",
                payload={"title": "What are your opening hours?", "payload": "ICEBREAKER_HOURS"},
            )
        ],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    ),
    "referral": Case(
        rows=[
            row(
                kind="referral",
                payload={"ref": "bio_link_support", "source": "SHORTLINK", "type": "OPEN_THREAD"},
            )
        ],
        events=["conversation.created", "message.created"],
        # An ig.me ref is the conversation's attribution when it has none yet.
        conversations=[
            (CONTACT, 1, {"ref": "bio_link_support", "source": "SHORTLINK", "type": "OPEN_THREAD"})
        ],
        check=lambda db, **_: check_synthetic("referral", db),
    ),
    "optin": Case(
        rows=[
            row(
                kind="optin",
                text="Restock alerts",
                payload={
                    "type": "notification_messages",
                    "payload": "RESTOCK_ALERTS",
                    "title": "Restock alerts",
                },
            )
        ],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 0, None)],
        check=lambda db, **_: check_synthetic("optin", db),
    ),
    "standby": Case(
        rows=[row(mid=mid(30), text="Anyone there?", standby=True)],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    ),
    "handover_pass_thread_control": Case(
        rows=[
            row(
                kind="handover",
                payload={
                    "account_ig_id": ACCOUNT,
                    "contact_igsid": CONTACT,
                    "standby": False,
                    "action": "pass",
                    "previous_owner_app_id": APP_PRIMARY,
                    "new_owner_app_id": APP_SECONDARY,
                    "requested_owner_app_id": None,
                    "metadata": "escalated to a human",
                },
            )
        ],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 0, None)],
        check=lambda db, **_: check_synthetic("handover", db),
    ),
    # Section 4.11: exactly two new messages and one read (the repeated entry changes nothing).
    "batch_multi_entry": Case(
        before=("echo",),
        rows=[
            ECHO | {"status": "read"},
            row(mid=mid(20), text="Is the shop open today?"),
            row(mid=mid(21, ACCOUNT_B), text="Hello B", sent_at=T0 + timedelta(seconds=2)),
        ],
        events=["conversation.created", "message.created", "message.created", "messages.seen"],
        conversations=[(CONTACT, 1, None), (CONTACT_B, 1, None)],
    ),
    "dashboard_test_changes": Case(
        receipt=("ignored", "App Dashboard test notification (fake ids)"), conversations=[]
    ),
    "comments_changes": Case(receipt=IGNORED_COMMENTS, conversations=[]),
    "comments_flat_doc_variant": Case(receipt=IGNORED_COMMENTS, conversations=[]),
    "mentions_fb_login": Case(receipt=IGNORED_COMMENTS, conversations=[]),
    # Unknown attachment types: stored, marked unsupported, Meta's attachment kept raw.
    "message_unknown_attachment": Case(
        rows=[
            row(
                mid=mid(60),
                unsupported=True,
                attachments=[
                    att(
                        "ig_avatar_sticker",
                        cdn_url(60),
                        supported=False,
                        raw={
                            "type": "ig_avatar_sticker",
                            "payload": {"url": cdn_url(60), "avatar_sticker_id": "991122334455"},
                        },
                    )
                ],
            )
        ],
        events=["conversation.created", "message.created"],
        conversations=[(CONTACT, 1, None)],
    ),
    "unknown_object": Case(
        receipt=("ignored", "not an Instagram notification (object 'page')"), conversations=[]
    ),
}


def test_every_case_of_the_fake_is_covered() -> None:
    assert sorted(CASES) == sorted(ALL_CASES)


EVENT_COLUMNS = [column for column in row() if column != "sent_at"]


@pytest.mark.parametrize("name", sorted(CASES))
async def test_case(name: str, client, db, runtime, inbox) -> None:
    case = CASES[name]
    for before in case.before:
        await deliver(client, runtime, ALL_CASES[before]() if isinstance(before, str) else before())
    seq = await last_seq(db, inbox.workspace_id)

    await deliver(client, runtime, ALL_CASES[name]())

    receipt = await db.fetchrow("SELECT state, reason FROM webhook_receipts ORDER BY id DESC")
    assert (receipt["state"], receipt["reason"]) == case.receipt
    rows = await stored_messages(db)
    for got, expected in zip(rows, case.rows, strict=True):
        if expected["kind"] in SYNTHETIC:
            expected = expected | {"mid": got["mid"]}  # checked against its pattern below
        assert got == expected
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == case.events
    by_mid = {stored["mid"]: stored for stored in rows}
    for kind, payload in events:
        if kind == "message.created":
            carried = payload["message"]
            stored = by_mid[carried["mid"]]
            assert {c: carried[c] for c in EVENT_COLUMNS} == {c: stored[c] for c in EVENT_COLUMNS}
            assert payload["conversation"]["id"] == carried["conversation_id"]
        if kind == "conversation.created":
            assert payload["conversation"]["contact"]["igsid"] in (CONTACT, CONTACT_B)
    if case.conversations is not None:
        conversations = await db.fetch(
            "SELECT ct.igsid, c.unread_count, c.referral::text AS referral FROM conversations c"
            " JOIN contacts ct ON ct.id = c.contact_id ORDER BY c.id"
        )
        assert [
            (c["igsid"], c["unread_count"], c["referral"] and json.loads(c["referral"]))
            for c in conversations
        ] == case.conversations
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 0
    if case.check is not None:
        await case.check(db=db, events=events)


async def test_self_test_never_creates_a_contact_even_beside_real_messages(
    client, db, runtime, inbox
) -> None:
    self_test = ALL_CASES["self_test"]()["entry"][0]["messaging"][0]
    customer = ALL_CASES["message_text"]()["entry"][0]["messaging"][0]
    await deliver(client, runtime, body([entry(ACCOUNT, [self_test, customer])]))
    assert [row["igsid"] for row in await db.fetch("SELECT igsid FROM contacts")] == [CONTACT]
    assert [row["mid"] for row in await stored_messages(db, ("mid",))] == [mid(1)]


async def test_known_and_unknown_attachments_in_one_message(client, db, runtime, inbox) -> None:
    items = [
        attachment("image", cdn_url(1)),
        attachment("sticker", cdn_url(2), sticker_id=369239263222822),
        attachment("mystery_type"),
    ]
    message = attachment_message(ACCOUNT, CONTACT, items, "look", mid(90), TS_MS)
    await deliver(client, runtime, body([entry(ACCOUNT, [message])]))
    [stored] = await stored_messages(db)
    assert stored == row(
        mid=mid(90),
        text="look",
        unsupported=True,
        attachments=[
            att("image", cdn_url(1)),
            att("sticker", cdn_url(2), supported=False, raw=items[1]),
            att("mystery_type", supported=False, raw={"type": "mystery_type"}),
        ],
    )


async def test_echo_of_an_unknown_mid_is_a_reply_from_the_instagram_app(
    client, db, runtime, inbox
) -> None:
    echo = echo_message(ACCOUNT, CONTACT, "Sent from my phone", mid(300), TS_MS)
    await deliver(client, runtime, body([entry(ACCOUNT, [echo])]))
    assert await stored_messages(db) == [ECHO | {"mid": mid(300), "text": "Sent from my phone"}]
    conversation = await db.fetchrow("SELECT unread_count, window_ends_at FROM conversations")
    assert (conversation["unread_count"], conversation["window_ends_at"]) == (0, None)


@pytest.mark.parametrize("name", sorted(ALL_CASES))
async def test_message_created_carries_the_view_the_api_reads(name, db, runtime, inbox) -> None:
    """message.created's message is built from the inserted row's draft, not read back: it
    must equal what the views SQL reads for that row (the API, replay, bootstrap)."""
    await ingest(runtime, ALL_CASES[name]())
    log = await event_log(db, inbox.workspace_id)
    created = [event["message"] for kind, event in log if kind == "message.created"]
    changed_later = {
        event.get("message", {}).get("id", event.get("message_id"))
        for kind, event in log
        if kind != "message.created"
    } | {id_ for kind, event in log if kind == "messages.seen" for id_ in event["message_ids"]}
    stable = [view for view in created if view["id"] not in changed_later]
    read = await message_views(db, [view["id"] for view in stable])
    for view in stable:
        assert view == json.loads(msgspec.json.encode(read[view["id"]])), name

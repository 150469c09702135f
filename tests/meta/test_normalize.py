"""Normalisation of every builder case into typed items, and body classification."""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ACCOUNT_B,
    ALL_CASES,
    APP_PRIMARY,
    APP_SECONDARY,
    CONTACT,
    CONTACT_B,
    SELF_IGSID,
    TS_MS,
    body,
    encode_body,
    entry,
    make_mid,
    messaging_item,
    text_message,
)
from wazify.meta.normalize import (
    Attachment,
    HandoverChanged,
    InboundMessage,
    MessageEdited,
    MessagesRead,
    MessageUnsent,
    NormalizedItem,
    OptinReceived,
    PostbackReceived,
    ReactionChanged,
    ReferralReceived,
    UnknownEvent,
    classify_body,
    normalize,
    synthetic_id,
)
from wazify.meta.payloads import decode_webhook

Data = dict[str, Any]
WHEN = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
INBOUND = {"account_ig_id": ACCOUNT, "contact_igsid": CONTACT, "timestamp": WHEN, "standby": False}
TEXT = "Hi! Do you still have the linen shirt in size M?"


def items_of(data: Data) -> list[NormalizedItem]:
    return normalize(decode_webhook(encode_body(data)))


def first(data: Data) -> Data:
    return data["entry"][0]["messaging"][0]


def raw_attachments(data: Data) -> list[Data]:
    return first(data)["message"]["attachments"]


def media(data: Data, type: str, seq: int) -> list[NormalizedItem]:
    attachments = [
        Attachment(type=type, url=raw["payload"]["url"], raw=raw) for raw in raw_attachments(data)
    ]
    return [InboundMessage(**INBOUND, mid=make_mid(ACCOUNT, seq), attachments=attachments)]


def shared(data: Data, type: str, seq: int, title: str | None, media_id: str | None) -> list:
    [raw] = raw_attachments(data)
    attachment = Attachment(
        type=type, url=raw["payload"]["url"], title=title, media_id=media_id, raw=raw
    )
    return [InboundMessage(**INBOUND, mid=make_mid(ACCOUNT, seq), attachments=[attachment])]


def synthetic(prefix: str, *parts: str) -> str:
    # Pinned independently of the implementation: these ids are stored, they must not drift.
    key = "\x1f".join([ACCOUNT, CONTACT, str(TS_MS), *parts])
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


EXPECTED: dict[str, Callable[[Data], list]] = {
    "message_text": lambda d: [InboundMessage(**INBOUND, mid=make_mid(ACCOUNT, 1), text=TEXT)],
    "message_image": lambda d: media(d, "image", 2),
    "message_images_multiple": lambda d: media(d, "image", 12),
    "message_video": lambda d: media(d, "video", 13),
    "message_audio": lambda d: media(d, "audio", 14),
    "message_file": lambda d: media(d, "file", 15),
    "message_ig_post": lambda d: shared(
        d, "ig_post", 3, "New drop: summer linen collection \u2600\ufe0f", "18056789012345678"
    ),
    "message_share_legacy": lambda d: shared(d, "share", 4, None, None),
    "message_ig_reel": lambda d: shared(
        d, "ig_reel", 5, "How we dye linen by hand", "18123456789012345"
    ),
    "story_mention": lambda d: shared(d, "story_mention", 6, None, None),
    "story_reply": lambda d: [
        InboundMessage(
            **INBOUND,
            mid=make_mid(ACCOUNT, 7),
            text="Is this colour available online?",
            reply_to_story_url=first(d)["message"]["reply_to"]["story"]["url"],
            reply_to_story_id="3512345678901234567",
        )
    ],
    "message_reply_to": lambda d: [
        InboundMessage(
            **INBOUND,
            mid=make_mid(ACCOUNT, 8),
            text="Yes, that one!",
            reply_to_mid=make_mid(ACCOUNT, 1),
        )
    ],
    "message_quick_reply": lambda d: [
        InboundMessage(
            **INBOUND,
            mid=make_mid(ACCOUNT, 9),
            text="Track my order",
            quick_reply_payload="QR_TRACK_ORDER",
        )
    ],
    "message_like_heart": lambda d: [
        InboundMessage(
            **INBOUND,
            mid=make_mid(ACCOUNT, 10),
            attachments=[Attachment(type="like_heart", raw={"type": "like_heart"})],
        )
    ],
    "message_ad_referral": lambda d: [
        InboundMessage(
            **INBOUND,
            mid=make_mid(ACCOUNT, 11),
            text="Is this on sale?",
            referral={
                "ref": "summer_linen_ad",
                "ad_id": "120210987654321098",
                "source": "ADS",
                "type": "OPEN_THREAD",
                "ads_context_data": {
                    "ad_title": "Summer linen, 20% off",
                    "photo_url": first(d)["message"]["referral"]["ads_context_data"]["photo_url"],
                },
            },
        )
    ],
    "echo": lambda d: [
        InboundMessage(
            **INBOUND, mid=make_mid(ACCOUNT, 100), text="Yes, size M is in stock.", is_echo=True
        )
    ],
    "self_test": lambda d: [
        InboundMessage(
            **{**INBOUND, "contact_igsid": SELF_IGSID},
            mid=make_mid(ACCOUNT, 101),
            text="Testing self messaging",
            is_echo=True,
            is_self=True,
        )
    ],
    "deleted": lambda d: [MessageUnsent(**INBOUND, mid=make_mid(ACCOUNT, 1))],
    "unsupported": lambda d: [
        InboundMessage(**INBOUND, mid=make_mid(ACCOUNT, 50), is_unsupported=True)
    ],
    "message_edit": lambda d: [
        MessageEdited(
            **INBOUND,
            mid=make_mid(ACCOUNT, 1),
            text="Hi! Do you still have the linen shirt in size L?",
            num_edit=1,
        )
    ],
    "reaction_react": lambda d: [
        ReactionChanged(
            **INBOUND,
            mid=make_mid(ACCOUNT, 100),
            action="react",
            reaction="love",
            emoji="\u2764\ufe0f",
        )
    ],
    "reaction_unreact": lambda d: [
        ReactionChanged(**INBOUND, mid=make_mid(ACCOUNT, 100), action="unreact")
    ],
    "seen": lambda d: [MessagesRead(**INBOUND, mid=make_mid(ACCOUNT, 100))],
    "postback": lambda d: [
        PostbackReceived(
            **INBOUND,
            mid=make_mid(ACCOUNT, 40),
            title="What are your opening hours?",
            payload="ICEBREAKER_HOURS",
        )
    ],
    "referral": lambda d: [
        ReferralReceived(
            **INBOUND,
            mid=synthetic("ref", "bio_link_support"),
            ref="bio_link_support",
            source="SHORTLINK",
            type="OPEN_THREAD",
        )
    ],
    "optin": lambda d: [
        OptinReceived(
            **INBOUND,
            mid=synthetic("optin", "notification_messages", "RESTOCK_ALERTS"),
            type="notification_messages",
            payload="RESTOCK_ALERTS",
            title="Restock alerts",
        )
    ],
    "standby": lambda d: [
        InboundMessage(
            **{**INBOUND, "standby": True}, mid=make_mid(ACCOUNT, 30), text="Anyone there?"
        )
    ],
    "handover_pass_thread_control": lambda d: [
        HandoverChanged(
            **INBOUND,
            action="pass",
            previous_owner_app_id=APP_PRIMARY,
            new_owner_app_id=APP_SECONDARY,
            metadata="escalated to a human",
        )
    ],
    "batch_multi_entry": lambda d: [
        InboundMessage(**INBOUND, mid=make_mid(ACCOUNT, 20), text="Is the shop open today?"),
        MessagesRead(
            **{**INBOUND, "timestamp": datetime(2026, 11, 30, 9, 15, 1, tzinfo=UTC)},
            mid=make_mid(ACCOUNT, 100),
        ),
        InboundMessage(
            account_ig_id=ACCOUNT_B,
            contact_igsid=CONTACT_B,
            timestamp=datetime(2026, 11, 30, 9, 15, 2, tzinfo=UTC),
            mid=make_mid(ACCOUNT_B, 21),
            text="Hello B",
        ),
        # The redelivered entry comes out again: deduplication is the consumer's job.
        InboundMessage(**INBOUND, mid=make_mid(ACCOUNT, 20), text="Is the shop open today?"),
    ],
    "dashboard_test_changes": lambda d: [],
    "comments_changes": lambda d: [],
    "comments_flat_doc_variant": lambda d: [],
    "mentions_fb_login": lambda d: [],
    "message_unknown_attachment": lambda d: [
        InboundMessage(
            **INBOUND,
            mid=make_mid(ACCOUNT, 60),
            attachments=[
                Attachment(
                    type="ig_avatar_sticker",
                    url=raw_attachments(d)[0]["payload"]["url"],
                    raw={
                        "type": "ig_avatar_sticker",
                        "payload": {
                            "url": raw_attachments(d)[0]["payload"]["url"],
                            "avatar_sticker_id": "991122334455",
                        },
                    },
                )
            ],
        )
    ],
    "unknown_object": lambda d: [],
}

CLASSES = {
    "dashboard_test_changes": "dashboard_test",
    "comments_changes": "no_events",
    "comments_flat_doc_variant": "no_events",
    "mentions_fb_login": "no_events",
    "unknown_object": "unknown_object",
}


def test_every_case_has_an_expectation() -> None:
    assert set(EXPECTED) == set(ALL_CASES)
    assert len(ALL_CASES) == 35


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_case_normalizes_exactly(name: str) -> None:
    data = ALL_CASES[name]()
    assert items_of(data) == EXPECTED[name](data)


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_case_classification(name: str) -> None:
    data = ALL_CASES[name]()
    assert classify_body(decode_webhook(encode_body(data))) == CLASSES.get(name, "ok")


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_cases_are_deterministic(name: str) -> None:
    assert encode_body(ALL_CASES[name]()) == encode_body(ALL_CASES[name]())


def test_image_url_is_a_lookaside_cdn_url() -> None:
    [item] = items_of(ALL_CASES["message_image"]())
    assert item.attachments[0].url == (
        "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18049912345678920"
        "&signature=AbMTgwNDk5MTIzNDU2Nzg5MjA"
    )


def test_images_multiple_keeps_three_attachments_in_order() -> None:
    [item] = items_of(ALL_CASES["message_images_multiple"]())
    assert [a.url.split("&")[0][-3:] for a in item.attachments] == ["020", "021", "022"]


def test_echo_direction_is_reversed_in_the_body_but_not_in_the_item() -> None:
    data = ALL_CASES["echo"]()
    assert (first(data)["sender"]["id"], first(data)["recipient"]["id"]) == (ACCOUNT, CONTACT)
    [item] = items_of(data)
    assert (item.account_ig_id, item.contact_igsid, item.is_echo) == (ACCOUNT, CONTACT, True)


def test_synthetic_ids_are_stable_and_distinct() -> None:
    first_run = items_of(ALL_CASES["referral"]())[0].mid
    assert items_of(ALL_CASES["referral"]())[0].mid == first_run
    assert first_run.startswith("ref:") and len(first_run) == 36
    later = items_of(ALL_CASES["referral"](ts_ms=TS_MS + 1))[0].mid
    other_contact = items_of(ALL_CASES["referral"](contact=CONTACT_B))[0].mid
    assert len({first_run, later, other_contact}) == 3


def test_synthetic_id_ignores_the_timestamp_unit() -> None:
    in_ms = ALL_CASES["referral"]()
    in_s = ALL_CASES["referral"]()
    first(in_s)["timestamp"] = TS_MS // 1000
    as_str = ALL_CASES["referral"]()
    first(as_str)["timestamp"] = str(TS_MS)
    ids = {items_of(data)[0].mid for data in (in_ms, in_s, as_str)}
    assert ids == {synthetic("ref", "bio_link_support")}


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (1796030100000, WHEN),
        (1796030100, WHEN),
        ("1796030100000", WHEN),
        ("1796030100", WHEN),
        (1796030100123, datetime(2026, 11, 30, 9, 15, 0, 123000, tzinfo=UTC)),
    ],
)
def test_timestamps_in_seconds_milliseconds_and_strings(timestamp: Any, expected: datetime) -> None:
    data = ALL_CASES["message_text"]()
    first(data)["timestamp"] = timestamp
    assert items_of(data)[0].timestamp == expected


def test_postback_without_mid_gets_a_synthetic_one() -> None:
    data = ALL_CASES["postback"]()
    del first(data)["postback"]["mid"]
    first(data)["postback"]["referral"] = {"ref": "ig_me_link", "source": "SHORTLINK"}
    [item] = items_of(data)
    assert item.mid == synthetic("postback", "ICEBREAKER_HOURS")
    assert item.referral == {"ref": "ig_me_link", "source": "SHORTLINK"}


def test_num_edit_as_string_or_placeholder() -> None:
    data = ALL_CASES["message_edit"]()
    first(data)["message_edit"]["num_edit"] = "3"
    assert items_of(data)[0].num_edit == 3
    first(data)["message_edit"]["num_edit"] = "<NUM_EDIT>"
    assert items_of(data)[0].num_edit == 0


def test_take_and_request_thread_control() -> None:
    take = messaging_item(
        CONTACT, ACCOUNT, "take_thread_control", {"previous_owner_app_id": 1}, TS_MS
    )
    ask = messaging_item(
        CONTACT,
        ACCOUNT,
        "request_thread_control",
        {"requested_owner_app_id": "7", "metadata": "m"},
        TS_MS,
    )
    items = items_of(body([entry(ACCOUNT, [take, ask])]))
    assert items == [
        HandoverChanged(**INBOUND, action="take", previous_owner_app_id="1"),
        HandoverChanged(**INBOUND, action="request", requested_owner_app_id="7", metadata="m"),
    ]


def test_item_without_known_key_is_unknown_with_raw() -> None:
    odd = messaging_item(CONTACT, ACCOUNT, "policy_enforcement", {"action": "block"}, TS_MS)
    [item] = items_of(body([entry(ACCOUNT, [odd])]))
    assert item == UnknownEvent(**INBOUND, raw=odd)


def test_message_without_mid_or_ids_is_unknown() -> None:
    no_mid = messaging_item(CONTACT, ACCOUNT, "message", {"text": "?"}, TS_MS)
    no_sender = {"recipient": {"id": ACCOUNT}, "timestamp": TS_MS, "message": {"mid": "m"}}
    items = items_of(body([entry(ACCOUNT, [no_mid, no_sender])]))
    assert items == [
        UnknownEvent(**INBOUND, raw=no_mid),
        UnknownEvent(**{**INBOUND, "contact_igsid": ""}, raw=no_sender),
    ]


def test_messaging_then_standby_within_an_entry() -> None:
    data = body([entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, "a", "m1", TS_MS)])])
    data["entry"][0]["standby"] = [text_message(ACCOUNT, CONTACT, "b", "m2", TS_MS)]
    assert [(i.mid, i.standby) for i in items_of(data)] == [("m1", False), ("m2", True)]


def test_dashboard_test_with_messaging_shape_is_skipped() -> None:
    # Older dashboard shape: entry id "0", fake ids in messaging[], string timestamp.
    fake = {
        "sender": {"id": "12334"},
        "recipient": {"id": "23245"},
        "timestamp": "1527459824",
        "message": {"mid": "random_mid", "text": "random_text"},
    }
    decoded = decode_webhook(encode_body(body([entry("0", [fake], time_ms=1661141837537)])))
    assert classify_body(decoded) == "dashboard_test"
    assert normalize(decoded) == []


def test_dashboard_change_recognised_by_fake_ids_alone() -> None:
    value = {"sender": {"id": "12334"}, "recipient": {"id": "23245"}, "timestamp": "1527459824"}
    data = {"object": "instagram", "entry": [{"id": ACCOUNT, "time": 1, "changes": [
        {"field": "something_new", "value": value}]}]}  # fmt: skip
    assert classify_body(decode_webhook(encode_body(data))) == "dashboard_test"


def test_empty_body_has_no_events() -> None:
    assert classify_body(decode_webhook(b'{"object":"instagram","entry":[]}')) == "no_events"


def test_items_round_trip_as_a_tagged_union() -> None:
    items = items_of(ALL_CASES["batch_multi_entry"]()) + items_of(ALL_CASES["reaction_react"]())
    encoded = msgspec.json.encode(items)
    assert b'"kind":"inbound_message"' in encoded
    assert b'"kind":"messages_read"' in encoded
    assert b'"kind":"reaction_changed"' in encoded
    assert msgspec.json.decode(encoded, type=list[NormalizedItem]) == items


def test_synthetic_id_public_helper() -> None:
    identity = {"account_ig_id": ACCOUNT, "contact_igsid": CONTACT, "timestamp": WHEN}
    assert synthetic_id("ref", identity, "bio_link_support") == synthetic("ref", "bio_link_support")
    assert synthetic_id("optin", identity, "x").startswith("optin:")
    assert synthetic_id("ref", identity, "x") != synthetic_id("ref", identity, "y")

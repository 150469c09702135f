"""One complete, deterministic webhook body per case of PLATFORM.md section 12.

Each case takes (account, contact, ts_ms) and derives its mids from the account with
`make_mid(account, seq)`, so the same arguments always give the same body. Messages that
others refer to use fixed sequence numbers: ORIGINAL_SEQ (the customer's first text) and
BUSINESS_SEQ (a message the business sent).
"""

from collections.abc import Callable
from typing import Any

from wazify.fakemeta.envelope import body, change, changes_entry, entry
from wazify.fakemeta.items import (
    attachment,
    attachment_message,
    cdn_url,
    echo_message,
    make_mid,
    message,
    message_edit,
    optin,
    postback,
    quick_reply_message,
    reaction,
    referral,
    reply_message,
    seen,
    story_reply,
    text_message,
    thread_control,
    unreaction,
)

Body = dict[str, Any]

ACCOUNT = "17841401234567890"  # business IGID
ACCOUNT_B = "17841409876543210"  # a second connected business
CONTACT = "7523146982351467"  # customer IGSID
CONTACT_B = "7523146982351468"
SELF_IGSID = "7600123456789012"  # the business's own IGSID (self-messaging test)
PAGE_ID = "104567890123456"  # a Facebook Page, for the non-Instagram object
TS_MS = 1796030100000
APP_PRIMARY = "1217981644879628"
APP_SECONDARY = "2839405617283940"
ORIGINAL_SEQ = 1
BUSINESS_SEQ = 100
TEXT = "Hi! Do you still have the linen shirt in size M?"
EDITED_TEXT = "Hi! Do you still have the linen shirt in size L?"
# The App Dashboard "Test" button's canned event (fake ids, string timestamp).
DASHBOARD_TEST_VALUE = {
    "sender": {"id": "12334"},
    "recipient": {"id": "23245"},
    "timestamp": "1527459824",
    "message": {"mid": "random_mid", "text": "random_text"},
}


def _one(item: dict[str, Any], account: str, standby: bool = False) -> Body:
    return body([entry(account, [item], standby=standby)])


def _with_attachments(
    account: str, contact: str, ts_ms: int, seq: int, attachments: list[dict[str, Any]]
) -> Body:
    item = attachment_message(account, contact, attachments, None, make_mid(account, seq), ts_ms)
    return _one(item, account)


def _media(type: str, count: int, seq: int) -> Callable[..., Body]:
    def case(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
        # Asset ids derived from seq keep the body deterministic.
        urls = [cdn_url(18049912345678900 + seq * 10 + i) for i in range(count)]
        attachments = [attachment(type, url) for url in urls]
        return _with_attachments(account, contact, ts_ms, seq, attachments)

    return case


def _shared(type: str, seq: int, **payload: str) -> Callable[..., Body]:
    def case(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
        url = cdn_url(18745566778899000 + seq)
        return _with_attachments(account, contact, ts_ms, seq, [attachment(type, url, **payload)])

    return case


def case_message_text(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return _one(
        text_message(account, contact, TEXT, make_mid(account, ORIGINAL_SEQ), ts_ms), account
    )


def case_like_heart(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    # Courier's fixture shape: no payload at all.
    return _with_attachments(account, contact, ts_ms, 10, [attachment("like_heart")])


def case_story_reply(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    text, story_id, url = "Is this colour available online?", "3512345678901234567", cdn_url(7)
    item = story_reply(account, contact, text, story_id, url, make_mid(account, 7), ts_ms)
    return _one(item, account)


def case_reply_to(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    target = make_mid(account, ORIGINAL_SEQ)
    item = reply_message(account, contact, "Yes, that one!", target, make_mid(account, 8), ts_ms)
    return _one(item, account)


def case_quick_reply(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    mid = make_mid(account, 9)
    item = quick_reply_message(account, contact, "Track my order", "QR_TRACK_ORDER", mid, ts_ms)
    return _one(item, account)


def case_ad_referral(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    ad = {
        "ref": "summer_linen_ad",
        "ad_id": "120210987654321098",
        "source": "ADS",
        "type": "OPEN_THREAD",
        "ads_context_data": {"ad_title": "Summer linen, 20% off", "photo_url": cdn_url(11)},
    }
    mid = make_mid(account, 11)
    item = message(account, contact, mid=mid, ts_ms=ts_ms, text="Is this on sale?", referral=ad)
    return _one(item, account)


def case_echo(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    text, mid = "Yes, size M is in stock.", make_mid(account, BUSINESS_SEQ)
    return _one(echo_message(account, contact, text, mid, ts_ms), account)


def case_self_test(account: str = ACCOUNT, contact: str = SELF_IGSID, ts_ms: int = TS_MS) -> Body:
    mid = make_mid(account, 101)
    item = echo_message(account, contact, "Testing self messaging", mid, ts_ms, is_self=True)
    return _one(item, account)


def case_deleted(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    mid = make_mid(account, ORIGINAL_SEQ)
    return _one(message(account, contact, mid=mid, ts_ms=ts_ms, is_deleted=True), account)


def case_unsupported(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    mid = make_mid(account, 50)
    return _one(message(account, contact, mid=mid, ts_ms=ts_ms, is_unsupported=True), account)


def case_message_edit(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    mid = make_mid(account, ORIGINAL_SEQ)
    return _one(message_edit(account, contact, mid, EDITED_TEXT, 1, ts_ms), account)


def case_react(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    mid = make_mid(account, BUSINESS_SEQ)
    return _one(reaction(account, contact, mid, ts_ms=ts_ms), account)


def case_unreact(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return _one(unreaction(account, contact, make_mid(account, BUSINESS_SEQ), ts_ms), account)


def case_seen(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return _one(seen(account, contact, make_mid(account, BUSINESS_SEQ), ts_ms), account)


def case_postback(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    title, payload = "What are your opening hours?", "ICEBREAKER_HOURS"
    item = postback(account, contact, title, payload, make_mid(account, 40), ts_ms)
    return _one(item, account)


def case_referral(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return _one(referral(account, contact, "bio_link_support", ts_ms=ts_ms), account)


def case_optin(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return _one(optin(account, contact, "RESTOCK_ALERTS", "Restock alerts", ts_ms=ts_ms), account)


def case_standby(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    item = text_message(account, contact, "Anyone there?", make_mid(account, 30), ts_ms)
    return _one(item, account, standby=True)


def case_handover(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    item = thread_control(
        account,
        contact,
        "pass_thread_control",
        ts_ms,
        previous_owner_app_id=APP_PRIMARY,
        new_owner_app_id=APP_SECONDARY,
        metadata="escalated to a human",
    )
    return _one(item, account)


def case_batch(
    account: str = ACCOUNT,
    contact: str = CONTACT,
    ts_ms: int = TS_MS,
    account_b: str = ACCOUNT_B,
    contact_b: str = CONTACT_B,
) -> Body:
    """Two events for A, one for B, then A's message again: two new messages and one read."""
    first = text_message(account, contact, "Is the shop open today?", make_mid(account, 20), ts_ms)
    read = seen(account, contact, make_mid(account, BUSINESS_SEQ), ts_ms + 1000)
    other = text_message(account_b, contact_b, "Hello B", make_mid(account_b, 21), ts_ms + 2000)
    return body(
        [
            entry(account, [first, read]),
            entry(account_b, [other]),
            entry(account, [dict(first)]),
        ]
    )


def case_dashboard_test(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return body([changes_entry("0", [change("messages", dict(DASHBOARD_TEST_VALUE))], ts_ms)])


def _comment(contact: str) -> dict[str, Any]:
    return {
        "from": {"id": contact, "username": "linen_lover"},
        "id": "17865799348089039",
        "parent_id": "17865799348089030",
        "text": "Love this colour!",
        "media": {"id": "17887498072083520", "media_product_type": "FEED"},
    }


def case_comments(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    return body([changes_entry(account, [change("comments", _comment(contact))], ts_ms)])


def case_comments_flat(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    # Meta's IG-Login example: field/value directly on the entry, time in seconds.
    flat = {"id": account, "time": ts_ms // 1000, "field": "comments", "value": _comment(contact)}
    return body([flat])


def case_mentions(account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    value = {"comment_id": "17894227972186120", "media_id": "17918195224117851"}
    return body([changes_entry(account, [change("mentions", value)], ts_ms // 1000)])


def case_unknown_attachment(
    account: str = ACCOUNT, contact: str = CONTACT, ts_ms: int = TS_MS
) -> Body:
    odd = attachment("ig_avatar_sticker", cdn_url(60), avatar_sticker_id="991122334455")
    return _with_attachments(account, contact, ts_ms, 60, [odd])


def case_unknown_object(account: str = PAGE_ID, contact: str = CONTACT, ts_ms: int = TS_MS) -> Body:
    item = text_message(account, contact, "Hello page", make_mid(account, 70), ts_ms)
    return body([entry(account, [item])], object="page")


ALL_CASES: dict[str, Callable[..., Body]] = {
    "message_text": case_message_text,
    "message_image": _media("image", 1, 2),
    "message_images_multiple": _media("image", 3, 12),
    "message_video": _media("video", 1, 13),
    "message_audio": _media("audio", 1, 14),
    "message_file": _media("file", 1, 15),
    "message_ig_post": _shared(
        "ig_post",
        3,
        title="New drop: summer linen collection \u2600\ufe0f",
        ig_post_media_id="18056789012345678",
    ),
    "message_share_legacy": _shared("share", 4),
    "message_ig_reel": _shared(
        "ig_reel", 5, title="How we dye linen by hand", reel_video_id="18123456789012345"
    ),
    "story_mention": _shared("story_mention", 6),
    "story_reply": case_story_reply,
    "message_reply_to": case_reply_to,
    "message_quick_reply": case_quick_reply,
    "message_like_heart": case_like_heart,
    "message_ad_referral": case_ad_referral,
    "echo": case_echo,
    "self_test": case_self_test,
    "deleted": case_deleted,
    "unsupported": case_unsupported,
    "message_edit": case_message_edit,
    "reaction_react": case_react,
    "reaction_unreact": case_unreact,
    "seen": case_seen,
    "postback": case_postback,
    "referral": case_referral,
    "optin": case_optin,
    "standby": case_standby,
    "handover_pass_thread_control": case_handover,
    "batch_multi_entry": case_batch,
    "dashboard_test_changes": case_dashboard_test,
    "comments_changes": case_comments,
    "comments_flat_doc_variant": case_comments_flat,
    "mentions_fb_login": case_mentions,
    "message_unknown_attachment": case_unknown_attachment,
    "unknown_object": case_unknown_object,
}

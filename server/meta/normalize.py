"""Flatten a decoded webhook body into typed, domain-neutral items, one per event.

The item types live in wazify.meta.events and are re-exported here.

Items keep Meta's order (entries, then messaging[] before standby[] inside an entry) and are
not deduplicated: Meta redelivers, so consumers dedupe by `mid` (section 5).
"""

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

from wazify.meta.events import (
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
)
from wazify.meta.media_urls import HTTPS_ONLY, MediaUrlPolicy
from wazify.meta.payloads import Attachment as PayloadAttachment
from wazify.meta.payloads import (
    Entry,
    Message,
    MessagingEvent,
    Optin,
    Postback,
    Reaction,
    Referral,
    ThreadControl,
    WebhookBody,
    raw_of,
)
from wazify.meta.timestamps import epoch_milliseconds, to_datetime

INSTAGRAM_OBJECT = "instagram"
# Types the inbox knows how to render; anything else is kept raw and shown as unsupported.
KNOWN_ATTACHMENT_TYPES = frozenset(
    {
        "image",
        "video",
        "audio",
        "file",
        "share",
        "ig_post",
        "ig_reel",
        "reel",
        "story_mention",
        "story",
        "ig_story",
        "media",
        "like_heart",
    }
)
# Ids and fields used by the App Dashboard "Test" button (section 4.1, Chatwoot fixtures).
DASHBOARD_TEST_ENTRY_ID = "0"
DASHBOARD_TEST_IDS = frozenset({"0", "12334", "23245"})
DM_FIELDS = frozenset(
    {
        "messages",
        "message_echoes",
        "message_reactions",
        "messaging_seen",
        "messaging_postbacks",
        "messaging_referral",
        "messaging_optins",
        "message_edit",
        "messaging_handover",
        "standby",
    }
)

MAX_EDIT_COUNT = 2**31 - 1

BodyClass = Literal["ok", "dashboard_test", "unknown_object", "no_events"]

__all__ = [
    "Attachment",
    "BodyClass",
    "HandoverChanged",
    "InboundMessage",
    "MessageEdited",
    "MessageUnsent",
    "MessagesRead",
    "NormalizedItem",
    "OptinReceived",
    "PostbackReceived",
    "ReactionChanged",
    "ReferralReceived",
    "UnknownEvent",
    "classify_body",
    "normalize",
    "normalize_event",
    "synthetic_id",
]


def classify_body(body: WebhookBody) -> BodyClass:
    """Say whether a body carries DM events worth processing; never raises."""
    if body.object != INSTAGRAM_OBJECT:
        return "unknown_object"
    if any(_is_dashboard_test(entry) for entry in body.entry):
        return "dashboard_test"
    if not any(entry.messaging or entry.standby for entry in body.entry):
        return "no_events"
    return "ok"


def normalize(body: WebhookBody, urls: MediaUrlPolicy = HTTPS_ONLY) -> list[NormalizedItem]:
    """All DM events of an Instagram body in order; [] for other objects and dashboard tests.

    Dashboard tests are skipped here too so that their fake ids can never become contacts.
    Media URLs that `urls` refuses (anything but https in production) are dropped.
    """
    if body.object != INSTAGRAM_OBJECT:
        return []
    items: list[NormalizedItem] = []
    for entry in body.entry:
        if _is_dashboard_test(entry):
            continue
        items.extend(normalize_event(entry, e, standby=False, urls=urls) for e in entry.messaging)
        items.extend(normalize_event(entry, e, standby=True, urls=urls) for e in entry.standby)
    return items


def normalize_event(
    entry: Entry, event: MessagingEvent, *, standby: bool, urls: MediaUrlPolicy = HTTPS_ONLY
) -> NormalizedItem:
    """One messaging/standby item as a typed item; UnknownEvent when nothing is recognised."""
    echo = event.message is not None and event.message.is_echo
    parties = _parties(event, echo=echo)
    if parties is None:
        return _unknown(entry, event, standby)
    base: dict[str, Any] = {
        "account_ig_id": parties[0],
        "contact_igsid": parties[1],
        "timestamp": to_datetime(event.timestamp),
        "standby": standby,
    }
    item = _known_item(event, base, urls)
    return item if item is not None else _unknown(entry, event, standby)


def _known_item(
    event: MessagingEvent, base: dict[str, Any], urls: MediaUrlPolicy
) -> NormalizedItem | None:
    """Dispatch on the event key; None when the key is absent or lacks its required id."""
    if event.message is not None and event.message.mid:
        return _message_item(event.message, event.message.mid, base, urls)
    if event.message_edit is not None and event.message_edit.mid:
        edit = event.message_edit
        return MessageEdited(
            **base, mid=edit.mid, text=edit.text, num_edit=_edit_count(edit.num_edit)
        )
    if event.reaction is not None and event.reaction.mid:
        return _reaction_item(event.reaction, event.reaction.mid, base)
    if event.read is not None and event.read.mid:
        return MessagesRead(**base, mid=event.read.mid)
    if event.postback is not None:
        return _postback_item(event.postback, base, urls)
    if event.referral is not None:
        return _referral_item(event.referral, base)
    if event.optin is not None:
        return _optin_item(event.optin, base)
    return _handover_item(event, base)


def _message_item(
    message: Message, mid: str, base: dict[str, Any], urls: MediaUrlPolicy
) -> NormalizedItem:
    if message.is_deleted:
        return MessageUnsent(**base, mid=mid)
    reply_to = message.reply_to
    story = reply_to.story if reply_to is not None else None
    where = f"message {mid}"
    return InboundMessage(
        **base,
        mid=mid,
        text=message.text,
        attachments=[_attachment(a, urls, where) for a in message.attachments],
        reply_to_mid=reply_to.mid if reply_to is not None else None,
        reply_to_story_url=urls.keep(story.url, where) if story is not None else None,
        reply_to_story_id=story.id if story is not None else None,
        quick_reply_payload=message.quick_reply.payload if message.quick_reply else None,
        referral=urls.keep_referral(_raw(message.referral), where),
        is_unsupported=message.is_unsupported,
        is_echo=message.is_echo,
        is_self=message.is_self,
    )


def _attachment(attachment: PayloadAttachment, urls: MediaUrlPolicy, where: str) -> Attachment:
    payload = attachment.payload
    if payload is None:
        # like_heart arrives without a payload.
        return Attachment(type=attachment.type, raw=raw_of(attachment))
    return Attachment(
        type=attachment.type,
        url=urls.keep(payload.url, where),
        title=payload.title,
        media_id=payload.ig_post_media_id or payload.reel_video_id or payload.id,
        raw=raw_of(attachment),
    )


def _reaction_item(reaction: Reaction, mid: str, base: dict[str, Any]) -> ReactionChanged:
    # Unreact carries no reaction/emoji; anything else adds or changes one.
    action: Literal["react", "unreact"] = "unreact" if reaction.action == "unreact" else "react"
    return ReactionChanged(
        **base, mid=mid, action=action, reaction=reaction.reaction, emoji=reaction.emoji
    )


def _referral_item(referral: Referral, base: dict[str, Any]) -> ReferralReceived:
    mid = synthetic_id("ref", base, referral.ref or "")
    return ReferralReceived(
        **base, mid=mid, ref=referral.ref, source=referral.source, type=referral.type
    )


def _optin_item(optin: Optin, base: dict[str, Any]) -> OptinReceived:
    mid = synthetic_id("optin", base, optin.type or "", optin.payload or "")
    return OptinReceived(**base, mid=mid, type=optin.type, payload=optin.payload, title=optin.title)


def _postback_item(
    postback: Postback, base: dict[str, Any], urls: MediaUrlPolicy
) -> PostbackReceived:
    # Icebreaker postbacks carry a mid; fall back to a stable one so dedupe still works.
    mid = postback.mid or synthetic_id("postback", base, postback.payload or "")
    referral = urls.keep_referral(_raw(postback.referral), f"postback {mid}")
    return PostbackReceived(
        **base, mid=mid, title=postback.title, payload=postback.payload, referral=referral
    )


def _handover_item(event: MessagingEvent, base: dict[str, Any]) -> HandoverChanged | None:
    controls: list[tuple[Literal["pass", "take", "request"], ThreadControl | None]] = [
        ("pass", event.pass_thread_control),
        ("take", event.take_thread_control),
        ("request", event.request_thread_control),
    ]
    for action, control in controls:
        if control is not None:
            return HandoverChanged(
                **base,
                action=action,
                previous_owner_app_id=_app_id(control.previous_owner_app_id),
                new_owner_app_id=_app_id(control.new_owner_app_id),
                requested_owner_app_id=_app_id(control.requested_owner_app_id),
                metadata=control.metadata,
            )
    return None


def _parties(event: MessagingEvent, *, echo: bool) -> tuple[str, str] | None:
    """(business IGID, customer IGSID) per the direction table of section 4.1."""
    business, customer = (
        (event.sender, event.recipient) if echo else (event.recipient, event.sender)
    )
    if not business.id or not customer.id:
        return None
    return business.id, customer.id


def _unknown(entry: Entry, event: MessagingEvent, standby: bool) -> UnknownEvent:
    # Without a usable direction, the entry id is the best guess for the business.
    contact = event.sender.id if event.sender.id != entry.id else event.recipient.id
    return UnknownEvent(
        account_ig_id=event.recipient.id or entry.id,
        contact_igsid=contact or "",
        timestamp=to_datetime(event.timestamp),
        standby=standby,
        raw=raw_of(event),
    )


def synthetic_id(prefix: str, identity: Mapping[str, Any], *parts: str) -> str:
    """A stable id for events Meta sends without one: same event, same id, every delivery.

    `identity` holds account_ig_id, contact_igsid and timestamp (an aware datetime). The
    time enters as whole milliseconds, so "1796030100", 1796030100 and 1796030100000 (one
    instant in Meta's three spellings) give the same id.
    """
    millis = str(epoch_milliseconds(identity["timestamp"]))
    key = "\x1f".join([identity["account_ig_id"], identity["contact_igsid"], millis, *parts])
    return f"{prefix}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}"


def _is_dashboard_test(entry: Entry) -> bool:
    if entry.id == DASHBOARD_TEST_ENTRY_ID:
        return True
    return any(_is_dashboard_test_change(change.field, change.value) for change in entry.changes)


def _is_dashboard_test_change(field: str, value: Any) -> bool:
    # Real DMs never come in changes[]: a DM field there is the Test button's doing.
    if field in DM_FIELDS:
        return True
    if not isinstance(value, dict):
        return False
    sender = value.get("sender")
    sender_id = sender.get("id") if isinstance(sender, dict) else None
    return sender_id in DASHBOARD_TEST_IDS and isinstance(value.get("timestamp"), str)


def _edit_count(value: int | str) -> int:
    """Meta's num_edit, or 0 (no usable count) for a non-numeric placeholder, a negative
    count or one beyond a Postgres integer (messages.edit_count): none is worth failing
    the event for."""
    try:
        count = int(value)
    except ValueError:  # also a string of more than 4,300 digits
        return 0
    return count if 0 <= count <= MAX_EDIT_COUNT else 0


def _raw(referral: Referral | None) -> dict[str, Any] | None:
    return raw_of(referral) if referral is not None else None


def _app_id(value: int | str | None) -> str | None:
    return None if value is None else str(value)

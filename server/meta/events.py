"""Typed, domain-neutral DM events produced by wazify.meta.normalize.

A msgspec tagged union (tag field `kind`): encode and decode them with
`msgspec.json.decode(data, type=NormalizedItem)`. Every item carries the business IGID, the
customer IGSID, the event time (aware UTC) and whether it came from standby[].
"""

from datetime import datetime
from typing import Any, Literal

import msgspec


class Item(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    # The business IGID and the customer IGSID, whatever the direction of the event.
    account_ig_id: str
    contact_igsid: str
    timestamp: datetime
    # True for events under standby[]: another app owns the thread, never auto-reply.
    standby: bool = False


class Attachment(msgspec.Struct, frozen=True):
    type: str
    url: str | None = None
    title: str | None = None
    # ig_post_media_id for posts, reel_video_id for reels.
    media_id: str | None = None
    # The attachment as Meta sent it ({"type", "payload"}), for unknown types and audits.
    raw: dict[str, Any] = {}


class InboundMessage(Item, frozen=True, tag="inbound_message"):
    """A message in the thread: from the customer, or an echo of the business's own."""

    mid: str
    text: str | None = None
    attachments: list[Attachment] = []
    reply_to_mid: str | None = None
    reply_to_story_url: str | None = None
    reply_to_story_id: str | None = None
    quick_reply_payload: str | None = None
    referral: dict[str, Any] | None = None
    is_unsupported: bool = False
    is_echo: bool = False
    is_self: bool = False


class MessageUnsent(Item, frozen=True, tag="message_unsent"):
    mid: str


class MessageEdited(Item, frozen=True, tag="message_edited"):
    mid: str
    text: str | None = None
    num_edit: int = 0


class ReactionChanged(Item, frozen=True, tag="reaction_changed"):
    mid: str
    action: Literal["react", "unreact"]
    reaction: str | None = None
    emoji: str | None = None


class MessagesRead(Item, frozen=True, tag="messages_read"):
    # The last business message the customer has seen; earlier ones are read too.
    mid: str


class PostbackReceived(Item, frozen=True, tag="postback_received"):
    mid: str
    title: str | None = None
    payload: str | None = None
    referral: dict[str, Any] | None = None


class ReferralReceived(Item, frozen=True, tag="referral_received"):
    # Synthetic "ref:<hash>": Meta gives referrals no id, but consumers dedupe by one.
    mid: str
    ref: str | None = None
    source: str | None = None
    type: str | None = None


class OptinReceived(Item, frozen=True, tag="optin_received"):
    mid: str  # synthetic "optin:<hash>"
    type: str | None = None
    payload: str | None = None
    title: str | None = None


class HandoverChanged(Item, frozen=True, tag="handover_changed"):
    action: Literal["pass", "take", "request"]
    previous_owner_app_id: str | None = None
    new_owner_app_id: str | None = None
    requested_owner_app_id: str | None = None
    metadata: str | None = None


class UnknownEvent(Item, frozen=True, tag="unknown_event"):
    raw: dict[str, Any] = {}


NormalizedItem = (
    InboundMessage
    | MessageUnsent
    | MessageEdited
    | ReactionChanged
    | MessagesRead
    | PostbackReceived
    | ReferralReceived
    | OptinReceived
    | HandoverChanged
    | UnknownEvent
)

"""How each normalized Meta item becomes a messages row (before ids are known).

Customer messages, echoes, postbacks, referrals, opt-ins, handovers and unknown events are
all rows of the conversation, distinguished by `kind`, so they reach clients as
message.created like any other item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from wazify.meta.events import (
    Attachment,
    HandoverChanged,
    InboundMessage,
    NormalizedItem,
    OptinReceived,
    PostbackReceived,
    ReferralReceived,
    UnknownEvent,
)
from wazify.meta.normalize import KNOWN_ATTACHMENT_TYPES, synthetic_id
from wazify.views import AttachmentView, MessageView

ROW_ITEMS = (
    InboundMessage,
    PostbackReceived,
    ReferralReceived,
    OptinReceived,
    HandoverChanged,
    UnknownEvent,
)
_encode = msgspec.json.encode


@dataclass
class RowDraft:
    """A messages row to insert, keyed by (account ig id, mid) until ids are resolved.
    Its fields are the row's columns: the insert sends the drafts themselves, as JSON."""

    account_ig_id: str
    contact_igsid: str
    mid: str
    direction: str
    kind: str
    source: str
    sent_at: datetime
    standby: bool
    status: str = "received"
    text: str | None = None
    attachments: list[AttachmentView] = field(default_factory=list)
    reply_to_mid: str | None = None
    reply_to_story: dict[str, Any] | None = None
    quick_reply_payload: str | None = None
    referral: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    unsupported: bool = False
    # False for an imported customer message the business had answered (docs/history.md).
    counts_as_unread: bool = True
    # Known once the batch's contacts and conversations exist (set before the insert).
    workspace_id: int = 0
    account_id: int = 0
    conversation_id: int = 0

    @property
    def from_customer(self) -> bool:
        """Customer-authored: counts as unread and opens the reply window."""
        return self.direction == "in" and self.kind in ("message", "postback", "referral")

    @property
    def attribution(self) -> dict[str, Any] | None:
        """What the conversation keeps as its source: an ad's referral or an ig.me ref."""
        return self.payload if self.kind == "referral" else self.referral

    def view(self, message_id: int) -> MessageView:
        """The row's view right after its insert, as the views SQL would read it (no
        client id, author, edits or reactions yet): built here rather than read back."""
        return MessageView(
            id=message_id,
            conversation_id=self.conversation_id,
            direction=self.direction,  # type: ignore[arg-type]
            kind=self.kind,
            source=self.source,
            mid=self.mid,
            text=self.text,
            attachments=self.attachments,
            reply_to_mid=self.reply_to_mid,
            reply_to_story=self.reply_to_story,
            quick_reply_payload=self.quick_reply_payload,
            referral=self.referral,
            payload=self.payload,
            unsupported=self.unsupported,
            standby=self.standby,
            status=self.status,
            sent_at=self.sent_at,
        )


def _attachment_view(attachment: Attachment) -> AttachmentView:
    supported = attachment.type in KNOWN_ATTACHMENT_TYPES
    return AttachmentView(
        type=attachment.type,
        url=attachment.url,
        title=attachment.title,
        media_id=attachment.media_id,
        supported=supported,
        raw=None if supported else attachment.raw,
    )


def _message_draft(item: InboundMessage) -> RowDraft:
    direction, source, status = "in", "customer", "received"
    if item.is_echo:
        # Sent by the business: from the Instagram app (unknown mid) or a self test.
        direction, status = "out", "delivered"
        source = "self_test" if item.is_self else "instagram_app"
    story = None
    if item.reply_to_story_url or item.reply_to_story_id:
        story = {"url": item.reply_to_story_url, "id": item.reply_to_story_id}
    attachments = [_attachment_view(attachment) for attachment in item.attachments]
    return RowDraft(
        account_ig_id=item.account_ig_id,
        contact_igsid=item.contact_igsid,
        mid=item.mid,
        direction=direction,
        kind="message",
        source=source,
        sent_at=item.timestamp,
        standby=item.standby,
        status=status,
        text=item.text,
        attachments=attachments,
        reply_to_mid=item.reply_to_mid,
        reply_to_story=story,
        quick_reply_payload=item.quick_reply_payload,
        referral=item.referral,
        unsupported=item.is_unsupported or not all(a.supported for a in attachments),
    )


def _base(item: NormalizedItem, mid: str, kind: str) -> dict[str, Any]:
    return {
        "account_ig_id": item.account_ig_id,
        "contact_igsid": item.contact_igsid,
        "mid": mid,
        "direction": "in",
        "kind": kind,
        "source": "customer",
        "sent_at": item.timestamp,
        "standby": item.standby,
    }


def _synthetic(prefix: str, item: NormalizedItem, *parts: str) -> str:
    """A stable id for items Meta sends without one (same event, same id, every delivery)."""
    identity = {
        "account_ig_id": item.account_ig_id,
        "contact_igsid": item.contact_igsid,
        "timestamp": item.timestamp,
    }
    return synthetic_id(prefix, identity, *parts)


def draft_row(item: NormalizedItem) -> RowDraft | None:
    """The row an item becomes, or None for items that change existing rows instead."""
    if isinstance(item, InboundMessage):
        return _message_draft(item)
    if isinstance(item, PostbackReceived):
        payload = {"title": item.title, "payload": item.payload}
        return RowDraft(
            **_base(item, item.mid, "postback"),
            text=item.title,
            payload=payload,
            referral=item.referral,
        )
    if isinstance(item, ReferralReceived):
        payload = {"ref": item.ref, "source": item.source, "type": item.type}
        return RowDraft(**_base(item, item.mid, "referral"), payload=payload)
    if isinstance(item, OptinReceived):
        payload = {"type": item.type, "payload": item.payload, "title": item.title}
        return RowDraft(**_base(item, item.mid, "optin"), text=item.title, payload=payload)
    if isinstance(item, HandoverChanged):
        payload = msgspec.structs.asdict(item)
        payload.pop("timestamp")
        mid = _synthetic("handover", item, item.action, item.new_owner_app_id or "")
        return RowDraft(**_base(item, mid, "handover"), payload=payload)
    if isinstance(item, UnknownEvent):
        mid = _synthetic("unknown", item, _encode(item.raw).decode())
        return RowDraft(**_base(item, mid, "unknown"), payload=item.raw, unsupported=True)
    return None

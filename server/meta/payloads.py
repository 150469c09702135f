"""msgspec schemas for Instagram webhook bodies (PLATFORM.md section 4).

Decoding is lenient where Meta is inconsistent: unknown fields are ignored, optional fields
default, timestamps and `num_edit` may be numbers or strings, attachment types are open.
It is strict only where a body would be unusable (not JSON, wrong container types, an
event without a readable timestamp); those raise MalformedWebhook naming the place.
"""

from collections.abc import Collection
from typing import Any

import msgspec

from wazify.lib.inputs import replace_nul_escapes
from wazify.meta.timestamps import to_datetime

Timestamp = int | float | str
# Handover app ids are numbers in Messenger examples and strings elsewhere.
AppId = int | str


class MalformedWebhook(ValueError):
    """The body is not JSON or not shaped like a Meta webhook; the message says where."""


class Party(msgspec.Struct):
    # Optional because Messenger-style opt-ins can identify the sender by user_ref only.
    id: str | None = None
    user_ref: str | None = None


class AttachmentPayload(msgspec.Struct):
    url: str | None = None
    title: str | None = None
    ig_post_media_id: str | None = None
    reel_video_id: str | None = None
    id: str | None = None
    sticker_id: int | str | None = None


class Attachment(msgspec.Struct, dict=True):
    """One attachment; `dict=True` lets decode_webhook keep the raw dict (see raw_of)."""

    type: str = ""
    payload: AttachmentPayload | None = None


class StoryRef(msgspec.Struct):
    url: str | None = None
    id: str | None = None


class ReplyTo(msgspec.Struct):
    mid: str | None = None
    story: StoryRef | None = None


class QuickReply(msgspec.Struct):
    payload: str | None = None


class AdsContextData(msgspec.Struct):
    ad_title: str | None = None
    photo_url: str | None = None
    video_url: str | None = None
    post_id: str | None = None
    product_id: str | None = None


class Referral(msgspec.Struct, dict=True):
    """Ad referral inside a message, a postback's referral, or a `referral` event."""

    ref: str | None = None
    ad_id: str | None = None
    source: str | None = None
    type: str | None = None
    ads_context_data: AdsContextData | None = None
    post_id: str | None = None
    product_id: str | None = None


class Message(msgspec.Struct):
    mid: str | None = None
    text: str | None = None
    attachments: list[Attachment] = []
    is_echo: bool = False
    is_self: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False
    quick_reply: QuickReply | None = None
    reply_to: ReplyTo | None = None
    referral: Referral | None = None


class MessageEdit(msgspec.Struct):
    mid: str | None = None
    text: str | None = None
    # Meta's example shows a string placeholder; real values are counts.
    num_edit: int | str = 0


class Reaction(msgspec.Struct):
    mid: str | None = None
    action: str | None = None
    reaction: str | None = None
    emoji: str | None = None


class Read(msgspec.Struct):
    mid: str | None = None
    # Messenger's form; not seen for Instagram but harmless to accept.
    watermark: Timestamp | None = None


class Postback(msgspec.Struct):
    mid: str | None = None
    title: str | None = None
    payload: str | None = None
    referral: Referral | None = None


class Optin(msgspec.Struct):
    type: str | None = None
    payload: str | None = None
    title: str | None = None
    ref: str | None = None
    notification_messages_token: str | None = None
    notification_messages_frequency: str | None = None
    notification_messages_timezone: str | None = None
    notification_messages_status: str | None = None
    token_expiry_timestamp: Timestamp | None = None
    user_token_status: str | None = None


class ThreadControl(msgspec.Struct):
    previous_owner_app_id: AppId | None = None
    new_owner_app_id: AppId | None = None
    requested_owner_app_id: AppId | None = None
    metadata: str | None = None


class MessagingEvent(msgspec.Struct, dict=True):
    """One item of `messaging[]` or `standby[]`: exactly one event key is expected."""

    timestamp: Timestamp
    sender: Party = msgspec.field(default_factory=Party)
    recipient: Party = msgspec.field(default_factory=Party)
    message: Message | None = None
    message_edit: MessageEdit | None = None
    reaction: Reaction | None = None
    read: Read | None = None
    postback: Postback | None = None
    referral: Referral | None = None
    optin: Optin | None = None
    pass_thread_control: ThreadControl | None = None
    take_thread_control: ThreadControl | None = None
    request_thread_control: ThreadControl | None = None


class Change(msgspec.Struct):
    """`changes[]` item: comments, mentions, or the App Dashboard "Test" button."""

    field: str = ""
    value: Any = None


class Entry(msgspec.Struct):
    id: str
    time: Timestamp | None = None
    messaging: list[MessagingEvent] = []
    standby: list[MessagingEvent] = []
    changes: list[Change] = []
    # Meta's IG-Login comment example puts field/value flat on the entry (section 4.1).
    field: str | None = None
    value: Any = None


class WebhookBody(msgspec.Struct):
    object: str
    entry: list[Entry] = []


def decode_webhook(raw: bytes) -> WebhookBody:
    """Decode a webhook POST body; raises MalformedWebhook when it cannot be used."""
    try:
        data = msgspec.json.decode(replace_nul_escapes(raw))
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(f"body is not valid JSON: {exc}") from exc
    except RecursionError:
        raise MalformedWebhook("body is nested too deeply to be a webhook") from None
    return parse_webhook(data)


def parse_webhook(data: Any) -> WebhookBody:
    """Like decode_webhook, for a body already parsed into Python objects."""
    if not isinstance(data, dict):
        raise MalformedWebhook(f"body must be a JSON object, got {type(data).__name__}")
    try:
        body = msgspec.convert(data, WebhookBody)
    except msgspec.ValidationError as exc:
        raise MalformedWebhook(f"unexpected webhook shape: {exc}") from exc
    _check_timestamps(body)
    _attach_raw(body, data)
    return body


def raw_of(value: Attachment | Referral | MessagingEvent) -> dict[str, Any]:
    """The dict Meta sent for `value`, including fields this module does not model.

    Falls back to re-encoding the struct when it was not built by decode_webhook.
    """
    raw = getattr(value, "_raw", None)
    if isinstance(raw, dict):
        return raw
    return msgspec.to_builtins(value)


def _check_timestamps(body: WebhookBody) -> None:
    """Reject unreadable timestamps here so that normalisation can never fail on them."""
    for entry_index, entry in enumerate(body.entry):
        for key in ("messaging", "standby"):
            for event_index, event in enumerate(getattr(entry, key)):
                try:
                    to_datetime(event.timestamp)
                except ValueError as exc:
                    where = f"$.entry[{entry_index}].{key}[{event_index}].timestamp"
                    raise MalformedWebhook(f"{exc} - at `{where}`") from exc


def _attach_raw(body: WebhookBody, data: dict[str, Any]) -> None:
    """Keep the original dicts next to the structs that may need them verbatim.

    The lists line up one to one because msgspec.convert preserves order and length.
    """
    for entry, raw_entry in zip(body.entry, data.get("entry") or [], strict=True):
        for key in ("messaging", "standby"):
            events = getattr(entry, key)
            for event, raw_event in zip(events, raw_entry.get(key) or [], strict=True):
                _attach_event_raw(event, raw_event)


def _attach_event_raw(event: MessagingEvent, raw_event: dict[str, Any]) -> None:
    event._raw = raw_event  # type: ignore[attr-defined]
    if event.referral is not None:
        event.referral._raw = raw_event["referral"]  # type: ignore[attr-defined]
    if event.postback is not None and event.postback.referral is not None:
        event.postback.referral._raw = raw_event["postback"]["referral"]  # type: ignore[attr-defined]
    message = event.message
    if message is None:
        return
    raw_message = raw_event["message"]
    if message.referral is not None:
        message.referral._raw = raw_message["referral"]  # type: ignore[attr-defined]
    raw_attachments = raw_message.get("attachments") or []
    for attachment, raw_attachment in zip(message.attachments, raw_attachments, strict=True):
        attachment._raw = raw_attachment  # type: ignore[attr-defined]


class _EntryId(msgspec.Struct):
    id: Any = None


def select_entries(raw: bytes, ig_ids: Collection[str]) -> tuple[bytes, bool]:
    """The body with only the entries naming one of `ig_ids` (by entry id, each entry byte
    for byte), and whether any entry was left out. One delivery may carry the entries of
    accounts of several workspaces; each workspace is shown and replays only its own.
    A body without a readable entry list keeps nothing."""
    try:
        top = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
        entries = msgspec.json.decode(top.get("entry", b"[]"), type=list[msgspec.Raw])
        kept = [e for e in entries if msgspec.json.decode(e, type=_EntryId).id in ig_ids]
    except (msgspec.DecodeError, TypeError):
        return b"{}", True
    top["entry"] = msgspec.Raw(msgspec.json.encode(kept))
    return msgspec.json.encode(top), len(kept) < len(entries)

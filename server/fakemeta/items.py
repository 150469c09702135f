"""Builders for single `messaging[]` items shaped like Meta's (PLATFORM.md sections 4.3-4.10).

Every builder takes the business IGID (`account`) and the customer IGSID (`contact`) and
lays out sender/recipient per the direction table of section 4.1. `mid` and `ts_ms` default
to a fresh realistic mid and the current time; pass them for reproducible bodies.
"""

import base64
import secrets
import time
from typing import Any

_MID_TEMPLATE = "ig_message_item:1:IGMessageID:{account}:{thread}:{item}"
# The two big numbers of a real mid, as seen in Meta's examples (thread id, item id).
_THREAD_BASE = 340282366841710301244259469128367000000
_ITEM_BASE = 3219876543210987654321098765400000
_CDN = "https://lookaside.fbsbx.com/ig_messaging_cdn/"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def make_mid(account: str, seq: int) -> str:
    """A deterministic, real-looking mid: the same (account, seq) always gives the same mid."""
    raw = _MID_TEMPLATE.format(account=account, thread=_THREAD_BASE + seq, item=_ITEM_BASE + seq)
    # Meta's mids are base64 with the padding stripped.
    return base64.b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def new_mid(account: str) -> str:
    """A fresh mid, unique across calls and processes (random, not sequential)."""
    return make_mid(account, secrets.randbits(60))


def cdn_url(asset_id: int | None = None) -> str:
    """A lookaside CDN URL in the format seen in the wild."""
    asset = asset_id if asset_id is not None else 18_000_000_000_000_000 + secrets.randbits(50)
    signature = base64.urlsafe_b64encode(str(asset).encode()).decode().rstrip("=")
    return f"{_CDN}?asset_id={asset}&signature=Ab{signature}"


def messaging_item(
    sender: str, recipient: str, key: str, value: dict[str, Any], ts_ms: int | None = None
) -> dict[str, Any]:
    """The generic item: {"sender", "recipient", "timestamp", <key>: value}."""
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": ts_ms if ts_ms is not None else now_ms(),
        key: value,
    }


def inbound_item(
    account: str, contact: str, key: str, value: dict[str, Any], ts_ms: int | None = None
) -> dict[str, Any]:
    """An event from the customer to the business (sender = customer)."""
    return messaging_item(contact, account, key, value, ts_ms)


def message(
    account: str,
    contact: str,
    *,
    mid: str | None = None,
    ts_ms: int | None = None,
    echo: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """A `message` item; fields set to None are left out as Meta leaves them out."""
    body = {"mid": mid or new_mid(account)}
    body.update({name: value for name, value in fields.items() if value is not None})
    if echo:
        body["is_echo"] = True
        return messaging_item(account, contact, "message", body, ts_ms)
    return inbound_item(account, contact, "message", body, ts_ms)


def attachment(type: str, url: str | None = None, **payload: Any) -> dict[str, Any]:
    """{"type", "payload"}; without a url or payload fields there is no payload (like_heart)."""
    fields = {"url": url, **payload}
    fields = {name: value for name, value in fields.items() if value is not None}
    return {"type": type, "payload": fields} if fields else {"type": type}


def text_message(
    account: str, contact: str, text: str, mid: str | None = None, ts_ms: int | None = None
) -> dict[str, Any]:
    return message(account, contact, mid=mid, ts_ms=ts_ms, text=text)


def attachment_message(
    account: str,
    contact: str,
    attachments: list[dict[str, Any]],
    text: str | None = None,
    mid: str | None = None,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    return message(account, contact, mid=mid, ts_ms=ts_ms, text=text, attachments=attachments)


def media_message(
    account: str,
    contact: str,
    type: str = "image",
    count: int = 1,
    mid: str | None = None,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    """image / video / audio / file: `count` attachments of the same type in one message."""
    attachments = [attachment(type, cdn_url()) for _ in range(count)]
    return attachment_message(account, contact, attachments, mid=mid, ts_ms=ts_ms)


def reply_message(
    account: str,
    contact: str,
    text: str,
    reply_to_mid: str,
    mid: str | None = None,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    reply_to = {"mid": reply_to_mid}
    return message(account, contact, mid=mid, ts_ms=ts_ms, text=text, reply_to=reply_to)


def story_reply(
    account: str,
    contact: str,
    text: str,
    story_id: str,
    story_url: str | None = None,
    mid: str | None = None,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    reply_to = {"story": {"url": story_url or cdn_url(), "id": story_id}}
    return message(account, contact, mid=mid, ts_ms=ts_ms, text=text, reply_to=reply_to)


def quick_reply_message(
    account: str,
    contact: str,
    text: str,
    payload: str,
    mid: str | None = None,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    quick_reply = {"payload": payload}
    return message(account, contact, mid=mid, ts_ms=ts_ms, text=text, quick_reply=quick_reply)


def echo_message(
    account: str,
    contact: str,
    text: str,
    mid: str | None = None,
    ts_ms: int | None = None,
    is_self: bool = False,
) -> dict[str, Any]:
    """A business-sent message; with is_self, `contact` is the business's own IGSID."""
    extra = {"is_self": True} if is_self else {}
    return message(account, contact, mid=mid, ts_ms=ts_ms, echo=True, text=text, **extra)


def message_edit(
    account: str,
    contact: str,
    mid: str,
    text: str,
    num_edit: int | str = 1,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    value = {"mid": mid, "text": text, "num_edit": num_edit}
    return inbound_item(account, contact, "message_edit", value, ts_ms)


def reaction(
    account: str,
    contact: str,
    mid: str,
    reaction: str = "love",
    emoji: str = "\u2764\ufe0f",
    ts_ms: int | None = None,
) -> dict[str, Any]:
    value = {"mid": mid, "action": "react", "reaction": reaction, "emoji": emoji}
    return inbound_item(account, contact, "reaction", value, ts_ms)


def unreaction(account: str, contact: str, mid: str, ts_ms: int | None = None) -> dict[str, Any]:
    return inbound_item(account, contact, "reaction", {"mid": mid, "action": "unreact"}, ts_ms)


def seen(account: str, contact: str, mid: str, ts_ms: int | None = None) -> dict[str, Any]:
    return inbound_item(account, contact, "read", {"mid": mid}, ts_ms)


def postback(
    account: str,
    contact: str,
    title: str,
    payload: str,
    mid: str | None = None,
    ts_ms: int | None = None,
) -> dict[str, Any]:
    value = {"mid": mid or new_mid(account), "title": title, "payload": payload}
    return inbound_item(account, contact, "postback", value, ts_ms)


def referral(
    account: str,
    contact: str,
    ref: str,
    source: str = "SHORTLINK",
    type: str = "OPEN_THREAD",
    ts_ms: int | None = None,
) -> dict[str, Any]:
    value = {"ref": ref, "source": source, "type": type}
    return inbound_item(account, contact, "referral", value, ts_ms)


def optin(
    account: str,
    contact: str,
    payload: str,
    title: str,
    type: str = "notification_messages",
    ts_ms: int | None = None,
) -> dict[str, Any]:
    """Messenger's marketing-messages opt-in shape (the Instagram one is unconfirmed)."""
    value = {
        "type": type,
        "payload": payload,
        "notification_messages_token": base64.b64encode(f"nmt:{contact}".encode()).decode(),
        "notification_messages_frequency": "WEEKLY",
        "notification_messages_timezone": "Europe/Berlin",
        "token_expiry_timestamp": (ts_ms or now_ms()) + 180 * 86_400_000,
        "user_token_status": "NOT_REFRESHED",
        "notification_messages_status": "RESUME_NOTIFICATIONS",
        "title": title,
    }
    return inbound_item(account, contact, "optin", value, ts_ms)


def thread_control(
    account: str,
    contact: str,
    action: str = "pass_thread_control",
    ts_ms: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """pass_/take_/request_thread_control with the given app ids and metadata."""
    return inbound_item(account, contact, action, dict(fields), ts_ms)

"""Taking a person, or one message, out of a raw webhook body (PLATFORM.md section 4).

Raw bodies are kept a while for admins to replay; an erased contact or an unsent message
must not survive in them. The items of `messaging[]` and `standby[]` naming the person
(as sender or recipient) or carrying the message (`message.mid`, `message_edit.mid`) are
dropped; everything else is kept as it was, so a replay still applies the rest. The body is
re-serialised (its signature no longer matters: it was verified when it arrived).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ITEM_LISTS = ("messaging", "standby")
Item = dict[str, Any]


class NotJson(ValueError):
    """The body is not a JSON object: it cannot be edited, only deleted."""


def without_person(body: bytes, account_ig_id: str, igsid: str) -> bytes | None:
    """The body without the items exchanged between the account and this person; None
    when it names them nowhere."""

    def names_person(item: Item) -> bool:
        return igsid in (_id(item.get("sender")), _id(item.get("recipient")))

    return _drop_items(body, account_ig_id, names_person)


def without_message(body: bytes, account_ig_id: str, mid: str) -> bytes | None:
    """The body without the items carrying this message's content (the message, its
    edits, its unsend); None when it has none."""

    def carries_message(item: Item) -> bool:
        return any(_id(item.get(key), "mid") == mid for key in ("message", "message_edit"))

    return _drop_items(body, account_ig_id, carries_message)


def _drop_items(body: bytes, account_ig_id: str, drop: Callable[[Item], bool]) -> bytes | None:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise NotJson("the body is not JSON") from None
    if not isinstance(data, dict):
        raise NotJson("the body is not a JSON object")
    changed = False
    entries = data.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or str(entry.get("id", "")) != account_ig_id:
            continue
        for key in ITEM_LISTS:
            items = entry.get(key)
            if not isinstance(items, list):
                continue
            kept = [item for item in items if not (isinstance(item, dict) and drop(item))]
            if len(kept) != len(items):
                entry[key] = kept
                changed = True
    if not changed:
        return None
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def _id(value: object, key: str = "id") -> str | None:
    if isinstance(value, dict) and value.get(key) is not None:
        return str(value[key])
    return None

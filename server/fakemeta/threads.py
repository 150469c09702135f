"""What the fake's Conversations API knows: every thread of every business, in memory.

Messages get here three ways: a test or the demo writes them (`add_message`, a customer's
message or one the business sent from the Instagram app), and the fake Send API records
every message it accepts. Whether a message is also delivered as a webhook is the
writer's choice (`webhook_of` builds the body Meta would post), which is how tests make
webhooks go missing and then heal the gap through the API.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from wazify.fakemeta.envelope import body, entry
from wazify.fakemeta.items import message, new_mid


def thread_id(account: str, contact: str) -> str:
    """A real-looking conversation id (base64, like Meta's), stable per (business, person)."""
    raw = f"ig_conversation:1:IGConversation:{account}:{contact}"
    return base64.b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


@dataclass
class FakeMessage:
    mid: str
    created_ms: int
    from_business: bool
    text: str | None = None
    # API-shaped attachment items ({"image_data": {"url"}}, {"file_url", "mime_type"}, ...).
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # Reactions shown on the message: reactor id -> emoji.
    reactions: dict[str, str] = field(default_factory=dict)
    is_unsupported: bool = False


@dataclass
class FakeThread:
    id: str
    account: str
    contact: str
    contact_username: str
    account_username: str
    messages: list[FakeMessage] = field(default_factory=list)

    @property
    def updated_ms(self) -> int:
        return max((item.created_ms for item in self.messages), default=0)


class FakeHistory:
    def __init__(self) -> None:
        self.threads: dict[str, FakeThread] = {}
        self._lock = threading.Lock()

    def add_message(
        self,
        account: str,
        contact: str,
        text: str | None = None,
        *,
        from_business: bool = False,
        ts_ms: int | None = None,
        mid: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        contact_username: str | None = None,
        account_username: str | None = None,
    ) -> FakeMessage:
        item = FakeMessage(
            mid=mid or new_mid(account),
            created_ms=ts_ms if ts_ms is not None else time.time_ns() // 1_000_000,
            from_business=from_business,
            text=text,
            attachments=list(attachments or []),
        )
        with self._lock:
            thread = self._thread(account, contact, contact_username, account_username)
            thread.messages.append(item)
            thread.messages.sort(key=lambda m: (m.created_ms, m.mid))
        return item

    def _thread(
        self, account: str, contact: str, contact_username: str | None, account_username: str | None
    ) -> FakeThread:
        key = thread_id(account, contact)
        thread = self.threads.get(key)
        if thread is None:
            thread = FakeThread(
                key,
                account,
                contact,
                contact_username or f"user{contact[-4:]}",
                account_username or f"account{account[-4:]}",
            )
            self.threads[key] = thread
        if contact_username:
            thread.contact_username = contact_username
        return thread

    def react(self, mid: str, reactor: str, emoji: str | None) -> None:
        """A reaction shown on a message (None: taken back)."""
        with self._lock:
            found = self._find(mid)
            if found is None:
                raise KeyError(mid)
            reactions = found[1].reactions
            if emoji is None:
                reactions.pop(reactor, None)
            else:
                reactions[reactor] = emoji

    def _find(self, mid: str) -> tuple[FakeThread, FakeMessage] | None:
        for thread in self.threads.values():
            for item in thread.messages:
                if item.mid == mid:
                    return thread, item
        return None

    def find(self, mid: str) -> tuple[FakeThread, FakeMessage] | None:
        with self._lock:
            return self._find(mid)

    def threads_of(self, account: str) -> list[FakeThread]:
        """The business's threads, most recently active first (ties: by id)."""
        with self._lock:
            mine = [thread for thread in self.threads.values() if thread.account == account]
        return sorted(mine, key=lambda t: (t.updated_ms, t.id), reverse=True)

    def reset(self) -> None:
        with self._lock:
            self.threads.clear()


def webhook_of(thread: FakeThread, item: FakeMessage) -> dict[str, Any]:
    """The webhook body Meta would post for this message (an echo for the business's)."""
    fields: dict[str, Any] = {"text": item.text}
    media = [_webhook_attachment(a) for a in item.attachments]
    if media:
        fields["attachments"] = media
    built = message(
        thread.account,
        thread.contact,
        mid=item.mid,
        ts_ms=item.created_ms,
        echo=item.from_business,
        **fields,
    )
    return body([entry(thread.account, [built])])


def _webhook_attachment(item: dict[str, Any]) -> dict[str, Any]:
    if "image_data" in item:
        return {"type": "image", "payload": {"url": item["image_data"].get("url")}}
    if "video_data" in item:
        return {"type": "video", "payload": {"url": item["video_data"].get("url")}}
    mime = str(item.get("mime_type") or "")
    kind = "audio" if mime.startswith("audio/") else "file"
    return {"type": kind, "payload": {"url": item.get("file_url")}}

"""Conversations API items as the webhook normalizer's items (wazify.meta.events).

An imported message is the InboundMessage its webhook would have been (an echo when the
business wrote it), with the API's message id as its `mid`, so the ingest stores it once
whichever way it came first. A reaction shown on a message becomes a "react" item stamped
with the time the thread was asked for (`observed_at`): Meta showed it present then, so a
later unreact (a larger timestamp) still wins, and an older one (an unreact that preceded
the react the webhooks lost) does not. Absent reactions are not turned into unreacts: the
API's reaction sub-shape is unconfirmed, and a field that fails to come back must not wipe
every reaction. Read receipts, edits and unsends are not in the API at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wazify.meta.conversations import ApiMessage, Thread
from wazify.meta.events import Attachment, InboundMessage, NormalizedItem, ReactionChanged

HEARTS = frozenset({"❤", "❤️"})  # Meta names the heart "love"; any other emoji "other"


@dataclass(frozen=True)
class ThreadItems:
    contact_igsid: str | None
    items: list[NormalizedItem]
    # Customer messages followed by one of the business's: answered, so not unread.
    answered: frozenset[str]


def contact_of(thread: Thread, messages: list[ApiMessage], ig_id: str, username: str) -> str | None:
    """The customer of a thread: the participant who is not the business."""
    parties = list(thread.participants.data) if thread.participants else []
    for message in messages:
        parties += [message.sender] if message.sender else []
        parties += list(message.to.data) if message.to else []
    for party in parties:
        if party.id and not _is_business(party.id, party.username, ig_id, username):
            return party.id
    return None


def _is_business(party_id: str, party_username: str | None, ig_id: str, username: str) -> bool:
    # The API may name the business by another id than the webhooks' IGID: its username
    # settles it.
    return party_id == ig_id or bool(username and party_username == username)


def thread_items(
    thread: Thread,
    messages: list[ApiMessage],
    *,
    ig_id: str,
    username: str,
    since: datetime,
    observed_at: datetime,
) -> ThreadItems:
    """The thread's messages created at or after `since`, oldest first, then their
    reactions; which customer messages the business had answered."""
    contact = contact_of(thread, messages, ig_id, username)
    if contact is None:
        return ThreadItems(None, [], frozenset())
    ordered = sorted(messages, key=lambda message: (message.created, message.id))
    answered: set[str] = set()
    waiting: list[str] = []
    items: list[NormalizedItem] = []
    reactions: list[NormalizedItem] = []
    for message in ordered:
        echo = message.sender is None or message.sender.id != contact
        if echo:
            answered.update(waiting)
            waiting.clear()
        else:
            waiting.append(message.id)
        if message.created < since:
            continue
        items.append(_message(message, ig_id, contact, echo))
        reactions += _reactions(message, ig_id, contact, observed_at)
    return ThreadItems(contact, items + reactions, frozenset(answered))


def _message(message: ApiMessage, ig_id: str, contact: str, echo: bool) -> InboundMessage:
    story = message.story or {}
    reply_story = story.get("reply_to") if isinstance(story.get("reply_to"), dict) else None
    attachments = [_attachment(item) for item in _data(message.attachments)]
    attachments += [_share(item) for item in _data(message.shares)]
    mention = story.get("mention")
    if isinstance(mention, dict):
        attachments.append(Attachment(type="story_mention", url=mention.get("link"), raw=story))
    reply_to = message.reply_to or {}
    return InboundMessage(
        account_ig_id=ig_id,
        contact_igsid=contact,
        timestamp=message.created,
        mid=message.id,
        text=message.message or None,
        attachments=attachments,
        reply_to_mid=reply_to.get("mid") if isinstance(reply_to.get("mid"), str) else None,
        reply_to_story_url=reply_story.get("link") if reply_story else None,
        reply_to_story_id=reply_story.get("id") if reply_story else None,
        is_unsupported=message.is_unsupported,
        is_echo=echo,
    )


def _data(edge: Any) -> list[dict[str, Any]]:
    return [item for item in edge.data if isinstance(item, dict)] if edge is not None else []


def _attachment(item: dict[str, Any]) -> Attachment:
    """Messenger-style attachment items: image_data, video_data, or a file_url with a
    MIME type (audio/* for voice messages)."""
    raw = {"type": "api_attachment", "payload": item}
    for key, kind in (("image_data", "image"), ("video_data", "video")):
        media = item.get(key)
        if isinstance(media, dict):
            return Attachment(type=kind, url=media.get("url"), raw=raw)
    if isinstance(item.get("file_url"), str):
        mime = str(item.get("mime_type") or "")
        kind = "audio" if mime.startswith("audio/") else "file"
        return Attachment(type=kind, url=item["file_url"], title=item.get("name"), raw=raw)
    return Attachment(type="api_attachment", raw=raw)


def _share(item: dict[str, Any]) -> Attachment:
    link = item.get("link") if isinstance(item.get("link"), str) else None
    return Attachment(type="share", url=link, title=item.get("name"), raw=item)


def _reactions(
    message: ApiMessage, ig_id: str, contact: str, observed_at: datetime
) -> list[ReactionChanged]:
    found = []
    for entry in _data(message.reactions):
        emoji = entry.get("reaction")
        users = entry.get("users")
        people = users if isinstance(users, list) else [entry.get("user")]
        if not isinstance(emoji, str) or not any(
            isinstance(person, dict) and person.get("id") == contact for person in people
        ):
            continue
        found.append(
            ReactionChanged(
                account_ig_id=ig_id,
                contact_igsid=contact,
                timestamp=observed_at,
                mid=message.id,
                action="react",
                reaction="love" if emoji in HEARTS else "other",
                emoji=emoji,
            )
        )
    return found

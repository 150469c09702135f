"""Fake Conversations API (PLATFORM.md section 8.1), served from FakeHistory.

- `GET /{version}/me/conversations?platform=instagram&fields=participants,updated_time`:
  the token's threads, most recently active first, `limit` a page (25 by default), paged
  by `paging.cursors.after` (keyset cursors: a thread that becomes active moves to the
  top, behind a walk's cursor, as on Meta's side); `user_id` finds one person's thread.
- `GET /{version}/{conversation_id}?fields=messages.limit(N){...}`: the thread's most
  recent messages, at most 20 (Meta's limit); `fields=messages` lists ids and times only.
- `GET /{version}/{message_id}?fields=...`: one message; one older than the thread's 20
  most recent answers as if it did not exist.
The two node reads share the profile route (`/{version}/{id}`): profiles.py asks
`node_answer` first. Faults come from the gateway's FailureRule (throttling presets, a
token dying after `skip` calls, slow pages with `delay`).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from wazify.fakemeta.auth import authenticate
from wazify.fakemeta.errors import (
    MetaApiError,
    nonexisting_field,
    object_unavailable,
    unknown_path,
)
from wazify.fakemeta.profiles import VERSION
from wazify.fakemeta.state import Fake, FakeGraphState
from wazify.fakemeta.threads import FakeMessage, FakeThread

READABLE = 20
MESSAGE_FIELDS = frozenset(
    {
        "id",
        "created_time",
        "from",
        "to",
        "message",
        "attachments",
        "shares",
        "story",
        "reactions",
        "is_unsupported",
        "reply_to",
    }
)
THREAD_FIELDS = frozenset({"id", "participants", "updated_time", "messages"})
MESSAGES_FIELD = re.compile(r"messages(?:\.limit\((\d+)\))?(?:\{([^}]*)\})?")


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _cursor(thread: FakeThread) -> str:
    return base64.urlsafe_b64encode(f"{thread.updated_ms}:{thread.id}".encode()).decode()


def _after(cursor: str) -> tuple[int, str]:
    try:
        millis, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return int(millis), key
    except (ValueError, UnicodeDecodeError):
        raise MetaApiError(400, "(#100) Invalid cursor", 100) from None


def _parties(thread: FakeThread) -> dict[str, Any]:
    return {
        "data": [
            {"id": thread.account, "username": thread.account_username},
            {"id": thread.contact, "username": thread.contact_username},
        ]
    }


class ConversationsController(Controller):
    path = "/{version:str}"

    @get("/me/conversations")
    async def list_threads(
        self,
        request: Request,
        fake: Fake,
        version: FromPath[str],
        platform: FromQuery[str | None] = None,
        fields: FromQuery[str] = "",
        limit: FromQuery[int] = 25,
        after: FromQuery[str | None] = None,
        user_id: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        if not VERSION.fullmatch(version):
            raise unknown_path(request.url.path)
        token = authenticate(request, fake)
        if platform != "instagram":
            raise MetaApiError(400, "(#100) The parameter platform is required", 100)
        names = {name.strip() for name in fields.split(",") if name.strip()} | {"id"}
        for name in names - {"id", "participants", "updated_time"}:
            raise nonexisting_field(name, "Conversation")
        threads = fake.history.threads_of(token.ig_id)
        if user_id:
            threads = [thread for thread in threads if thread.contact == user_id]
        if after:
            mark = _after(after)
            threads = [t for t in threads if (t.updated_ms, t.id) < mark]
        page = threads[: max(1, min(limit, 100))]
        data = [_thread_json(thread, names) for thread in page]
        answer: dict[str, Any] = {"data": data}
        if page:
            answer["paging"] = {"cursors": {"before": _cursor(page[0]), "after": _cursor(page[-1])}}
            if len(threads) > len(page):
                query = f"platform=instagram&limit={limit}&after={_cursor(page[-1])}"
                answer["paging"]["next"] = f"{request.base_url}{version}/me/conversations?{query}"
        return answer


def _thread_json(thread: FakeThread, names: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {"id": thread.id}
    if "participants" in names:
        values["participants"] = _parties(thread)
    if "updated_time" in names:
        values["updated_time"] = _time(thread.updated_ms)
    return values


def node_answer(
    request: Request, fake: FakeGraphState, node_id: str, fields: str | None
) -> dict[str, Any] | None:
    """A thread or a message with this id, as Graph answers for it; None for other ids."""
    thread = fake.history.threads.get(node_id)
    found = None if thread is not None else fake.history.find(node_id)
    if thread is None and found is None:
        return None
    token = authenticate(request, fake)
    owner = thread if thread is not None else found[0]  # type: ignore[index]
    if owner.account != token.ig_id:
        raise object_unavailable(node_id)
    if thread is not None:
        return _thread_node(thread, fields or "id")
    owner, item = found  # type: ignore[misc]
    if item.mid not in {m.mid for m in owner.messages[-READABLE:]}:
        raise object_unavailable(node_id)  # older than the 20 most recent: "deleted"
    names = [name.strip() for name in (fields or "id").split(",") if name.strip()]
    return _message_json(owner, item, names)


def _thread_node(thread: FakeThread, fields: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": thread.id}
    rest = MESSAGES_FIELD.sub("", fields)
    for name in (part.strip() for part in rest.split(",")):
        if name and name not in THREAD_FIELDS:
            raise nonexisting_field(name, "Conversation")
    answer |= _thread_json(thread, {part.strip() for part in rest.split(",")})
    match = MESSAGES_FIELD.search(fields)
    if match is not None:
        limit = min(int(match.group(1) or READABLE), READABLE)
        names = [n.strip() for n in (match.group(2) or "id,created_time").split(",") if n]
        newest = list(reversed(thread.messages))[:limit]
        answer["messages"] = {"data": [_message_json(thread, m, names) for m in newest]}
    return answer


def _message_json(thread: FakeThread, item: FakeMessage, names: list[str]) -> dict[str, Any]:
    business = {"id": thread.account, "username": thread.account_username}
    person = {"id": thread.contact, "username": thread.contact_username}
    values: dict[str, Any] = {
        "id": item.mid,
        "created_time": _time(item.created_ms),
        "from": business if item.from_business else person,
        "to": {"data": [person if item.from_business else business]},
        "message": item.text or "",
    }
    if item.attachments:
        values["attachments"] = {"data": item.attachments}
    if item.reactions:
        values["reactions"] = {
            "data": [
                {"reaction": emoji, "users": [{"id": reactor}]}
                for reactor, emoji in sorted(item.reactions.items())
            ]
        }
    if item.is_unsupported:
        values["is_unsupported"] = True
    for name in names:
        if name not in MESSAGE_FIELDS:
            raise nonexisting_field(name, "Message")
    return {name: values[name] for name in names if name in values}

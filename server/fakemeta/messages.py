"""Fake Send API: `POST /{version}/{ig_id|me}/messages` (PLATFORM.md section 6).

Messages are kept (SentMessage, with the mid the answer names) and echoed back to the
configured webhook URL as signed `is_echo` deliveries, as Meta does; optionally followed by
the customer's read receipt. A share of the echoes (`echo_before`) is delivered before the
Send API answers, as Meta sometimes does. Undeliverable webhooks are retried for a while,
so a server that was down gets them once it is back. Sender actions (typing_on, mark_seen,
react, unreact) are kept as SenderAction. Failures come from the gateway (FailureRule).
"""

import asyncio
import json
import logging
import random
import time
from typing import Any

import httpx
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from wazify.fakemeta.auth import authenticate
from wazify.fakemeta.control import CONTROL_PREFIX
from wazify.fakemeta.envelope import body as webhook_body
from wazify.fakemeta.envelope import encode_body, entry, signed
from wazify.fakemeta.errors import MetaApiError, object_unavailable, unknown_path
from wazify.fakemeta.items import cdn_url, message, new_mid, seen
from wazify.fakemeta.profiles import VERSION
from wazify.fakemeta.state import Fake, FakeGraphState, Messaging, SenderAction, SentMessage

TEXT_LIMIT_BYTES = 1000
ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen", "react", "unreact"})


def _bad(message_text: str) -> MetaApiError:
    return MetaApiError(400, f"(#100) {message_text}", 100)


class MessagesController(Controller):
    path = "/{version:str}"

    @post("/{node_id:str}/messages", status_code=200)
    async def send(
        self, request: Request, fake: Fake, version: FromPath[str], node_id: FromPath[str]
    ) -> dict[str, Any]:
        return await _send(request, fake, version, node_id)

    # Spelled out: a static `/{version}/me` route elsewhere would shadow the one above.
    @post("/me/messages", status_code=200)
    async def send_as_me(self, request: Request, fake: Fake, version: FromPath[str]) -> dict:
        return await _send(request, fake, version, "me")


async def _send(request: Request, fake: FakeGraphState, version: str, node_id: str) -> dict:
    if not VERSION.fullmatch(version):
        raise unknown_path(request.url.path)
    token = authenticate(request, fake)
    if node_id not in ("me", token.ig_id):
        raise object_unavailable(node_id, "post")
    try:
        data = json.loads(await request.body())
    except ValueError:
        raise _bad("the request body must be JSON") from None
    recipient = (data.get("recipient") or {}).get("id") if isinstance(data, dict) else None
    if not isinstance(recipient, str) or not recipient:
        raise _bad("The parameter recipient is required")
    if "sender_action" in data:
        return _sender_action(fake, token.ig_id, recipient, data)
    sent = SentMessage(
        mid=new_mid(token.ig_id),
        ig_id=token.ig_id,
        recipient_id=recipient,
        message=_checked_message(data.get("message")),
        tag=data.get("tag"),
    )
    fake.add_sent(sent)
    _record_in_thread(fake, sent)
    poster: WebhookPoster = request.app.state.webhook_poster
    config = fake.messaging
    if config.webhook_url:
        if random.random() < config.echo_before:
            await poster.deliver(config, echo_of(sent))
            poster.later(config, sent, echo=False)
            await asyncio.sleep(config.echo_lead)
        else:
            poster.later(config, sent, echo=True)
    return {"recipient_id": recipient, "message_id": sent.mid}


def _record_in_thread(fake: FakeGraphState, sent: SentMessage) -> None:
    """The Conversations API shows what the business sent, as Meta's does."""
    content = sent.message
    media = content.get("attachments") or (
        [content["attachment"]] if content.get("attachment") else []
    )
    attachments = [_api_attachment(item.get("type")) for item in media]
    fake.history.add_message(
        sent.ig_id,
        sent.recipient_id,
        content.get("text"),
        from_business=True,
        ts_ms=int(sent.at * 1000),
        mid=sent.mid,
        attachments=attachments,
    )


def _api_attachment(kind: str | None) -> dict[str, Any]:
    if kind in ("image", "video"):
        return {f"{kind}_data": {"url": cdn_url()}}
    mime = "audio/mpeg" if kind == "audio" else "application/pdf"
    return {"file_url": cdn_url(), "mime_type": mime}


def _checked_message(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("The parameter message is required")
    text = value.get("text")
    media = value.get("attachments") or ([value["attachment"]] if value.get("attachment") else [])
    if text is None and not media:
        raise _bad("Param message must contain text or attachment")
    if text is not None and media:
        raise _bad("Param message must contain either text or attachment, not both")
    if text is not None and len(str(text).encode("utf-8")) > TEXT_LIMIT_BYTES:
        limit = TEXT_LIMIT_BYTES
        raise _bad(f"Length of param message[text] must be less than or equal to {limit}")
    return value


def _sender_action(
    fake: FakeGraphState, ig_id: str, recipient: str, data: dict[str, Any]
) -> dict[str, Any]:
    action = data.get("sender_action")
    if action not in ACTIONS:
        raise _bad(f"Param sender_action must be one of {sorted(ACTIONS)}")
    payload = data.get("payload")
    if action in ("react", "unreact") and not (payload or {}).get("message_id"):
        raise _bad("Param payload[message_id] is required")
    if action == "react" and not payload.get("reaction"):
        raise _bad("Param payload[reaction] is required")
    fake.add_sent(SenderAction(ig_id, recipient, action, payload))
    return {"recipient_id": recipient}


def echo_of(sent: SentMessage) -> dict[str, Any]:
    """The signed webhook body of a sent message's echo (attachments come back as CDN URLs)."""
    content = sent.message
    media = content.get("attachments") or (
        [content["attachment"]] if content.get("attachment") else []
    )
    attachments = [{"type": item.get("type"), "payload": {"url": cdn_url()}} for item in media]
    item = message(
        sent.ig_id,
        sent.recipient_id,
        mid=sent.mid,
        ts_ms=int(sent.at * 1000),
        echo=True,
        text=content.get("text"),
        attachments=attachments or None,
    )
    return webhook_body([entry(sent.ig_id, [item])])


def read_of(sent: SentMessage) -> dict[str, Any]:
    item = seen(sent.ig_id, sent.recipient_id, sent.mid)
    return webhook_body([entry(sent.ig_id, [item])])


class WebhookPoster:
    """Posts signed webhooks from the fake's event loop, retrying while the server is away."""

    def __init__(self) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per webhook
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def deliver(self, config: Messaging, payload: dict[str, Any]) -> bool:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10)
        raw = encode_body(payload)
        headers = signed(raw, config.app_secret)
        deadline = time.monotonic() + config.webhook_retry_seconds
        pause = 0.05
        while True:
            try:
                response = await self._client.post(
                    config.webhook_url or "", content=raw, headers=headers
                )
                if response.status_code < 500:
                    return response.status_code == 200
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    def later(self, config: Messaging, sent: SentMessage, echo: bool) -> None:
        task = asyncio.create_task(self._follow_up(config, sent, echo))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow_up(self, config: Messaging, sent: SentMessage, echo: bool) -> None:
        if echo:
            await self.deliver(config, echo_of(sent))
        if config.read_receipts:
            await asyncio.sleep(config.read_after)
            await self.deliver(config, read_of(sent))

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()


class MessagingControl(Controller):
    """`/_fake/messaging`: where webhooks go, and what the Send API received."""

    path = f"{CONTROL_PREFIX}/messaging"

    @post("/", status_code=200)
    async def configure(self, data: JSONBody[Messaging], fake: Fake) -> Messaging:
        fake.configure_messaging(data)
        return data

    @get("/sent")
    async def sent(self, fake: Fake) -> list[SentMessage]:
        return fake.sent_messages()

    @get("/actions")
    async def actions(self, fake: Fake) -> list[SenderAction]:
        return fake.sender_actions()

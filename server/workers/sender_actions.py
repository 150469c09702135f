"""Sender actions: reactions (react, change, unreact), typing_on and mark_seen.

A reaction is sent at once and recorded when Meta takes it (the agent sees its answer).
typing_on goes out while an agent types, at most every TYPING_INTERVAL seconds per
conversation; mark_seen when an agent opens a conversation with unread customer messages
(the live stream's viewing frame) or marks it read (`after_conversation_read`). Both are
best effort: never queued, skipped outside the messaging window, failures only logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from wazify.actions.outbox import do_mark_reconnect_required
from wazify.actions.replies import do_react
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import Actor, unit_of_work
from wazify.lib.errors import AppError, Conflict, Invalid, NotFound, TooManyRequests
from wazify.lib.tasks import spawn
from wazify.meta.graph_client import GraphClient
from wazify.meta.send import sender_action_body, verdict
from wazify.ops.metrics import timed_send
from wazify.runtime import Runtime
from wazify.views import ReactionView

if TYPE_CHECKING:
    from wazify.workers.outbound import RateLimiter

log = logging.getLogger("wazify.sender_actions")
RUNTIME_KEY = "wazify.sender_actions"
TYPING_INTERVAL = 8.0  # Instagram shows typing_on for several seconds
SYSTEM = Actor.system("sender")

TARGET = """
SELECT c.id AS conversation_id, c.workspace_id, c.unread_count,
       coalesce(c.window_ends_at > now(), false) AS window_open,
       a.id AS account_id, a.ig_id, a.access_token_enc, a.status, ct.igsid,
       (SELECT max(i.id) FROM messages i WHERE i.conversation_id = c.id AND i.direction = 'in'
          AND i.kind = 'message') AS newest_in
FROM conversations c JOIN ig_accounts a ON a.id = c.account_id
JOIN contacts ct ON ct.id = c.contact_id
WHERE c.id = $1 AND ($2::bigint IS NULL OR c.workspace_id = $2)
"""


class MetaRefused(AppError):
    status = 502
    code = "meta_refused"


class SenderActions:
    def __init__(
        self, runtime: Runtime, graph: GraphClient, limiter: RateLimiter, send_timeout: float
    ) -> None:
        self.runtime = runtime
        self.graph = graph
        self.limiter = limiter
        self.send_timeout = send_timeout
        self._typing_at: dict[int, float] = {}
        self._seen_up_to: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.runtime.extras[RUNTIME_KEY] = self

    async def stop(self) -> None:
        if self.runtime.extras.get(RUNTIME_KEY) is self:
            del self.runtime.extras[RUNTIME_KEY]
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _call(self, target: Any, action: str, payload: dict[str, Any] | None = None) -> None:
        token = self.runtime.cipher.decrypt(
            target["access_token_enc"], secret_context(ACCESS_TOKEN, target["account_id"])
        )
        await self.limiter.acquire(target["account_id"])
        body = sender_action_body(target["igsid"], action, payload)
        sending = self.graph.send_message(
            target["ig_id"], token, body, read_timeout=self.send_timeout
        )
        await timed_send("action", sending)

    async def react(
        self,
        actor: Actor,
        workspace_id: int,
        conversation_id: int,
        message_id: int,
        emoji: str | None,
    ) -> list[ReactionView]:
        """React to (or, with None, unreact from) a customer's message, then record it."""
        pool = self.runtime.engine.pool
        target = await pool.fetchrow(TARGET, conversation_id, workspace_id)
        message = await pool.fetchrow(
            "SELECT mid, direction, kind FROM messages WHERE id = $1 AND conversation_id = $2",
            message_id,
            conversation_id,
        )
        if target is None or message is None:
            raise NotFound(f"no message {message_id} in conversation {conversation_id}")
        if message["direction"] != "in" or message["kind"] != "message" or not message["mid"]:
            raise Invalid("only a customer's message can get a reaction", field="message_id")
        if target["status"] != "connected" or target["access_token_enc"] is None:
            raise Conflict("this Instagram account must be reconnected", code="reconnect_required")
        payload: dict[str, Any] = {"message_id": message["mid"]}
        if emoji is not None:
            payload["reaction"] = emoji
        try:
            await self._call(target, "react" if emoji is not None else "unreact", payload)
        except Exception as error:
            await self._refused(target, error)
        async with unit_of_work(self.runtime, actor) as uow:
            return await do_react(uow, workspace_id, message_id, actor.user_id or 0, emoji)

    async def _refused(self, target: Any, error: Exception) -> None:
        outcome = verdict(error)
        if outcome.kind == "reconnect":
            async with unit_of_work(self.runtime, SYSTEM) as uow:
                await do_mark_reconnect_required(uow, target["account_id"], outcome.reason)
            raise Conflict(outcome.reason, code="reconnect_required") from None
        if outcome.kind == "retry":
            raise TooManyRequests(outcome.reason, retry_after=1) from None
        raise MetaRefused(outcome.reason) from None

    def _spawn(self, work: Any, name: str) -> None:
        task = spawn(work, name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def typing(self, workspace_id: int, conversation_id: int) -> None:
        """typing_on, debounced per conversation."""
        now = time.monotonic()
        if now - self._typing_at.get(conversation_id, -TYPING_INTERVAL) < TYPING_INTERVAL:
            return
        self._typing_at[conversation_id] = now
        self._spawn(self._best_effort("typing_on", workspace_id, conversation_id), "typing-on")

    def seen(self, workspace_id: int | None, conversation_id: int, only_unread: bool) -> None:
        self._spawn(
            self._best_effort("mark_seen", workspace_id, conversation_id, only_unread), "mark-seen"
        )

    async def _best_effort(
        self, action: str, workspace_id: int | None, conversation_id: int, only_unread=False
    ) -> None:
        try:
            target = await self.runtime.engine.pool.fetchrow(TARGET, conversation_id, workspace_id)
            if target is None or not target["window_open"] or target["status"] != "connected":
                return
            if target["access_token_enc"] is None:
                return
            if action == "mark_seen":
                newest = target["newest_in"] or 0
                if newest <= self._seen_up_to.get(conversation_id, 0):
                    return
                if only_unread and target["unread_count"] == 0:
                    return
                self._seen_up_to[conversation_id] = newest
            await self._call(target, action)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.info("%s for conversation %s not sent: %s", action, conversation_id, error)


def _actions(runtime: Runtime) -> SenderActions | None:
    found = runtime.extras.get(RUNTIME_KEY)
    return found if isinstance(found, SenderActions) else None


def notify_typing(runtime: Runtime, workspace_id: int, conversation_id: int) -> None:
    """An agent is typing in this conversation (the live stream's typing frame)."""
    actions = _actions(runtime)
    if actions is not None:
        actions.typing(workspace_id, conversation_id)


def notify_viewing(runtime: Runtime, workspace_id: int, conversation_id: int | None) -> None:
    """An agent opened this conversation: mark_seen if customer messages are unread."""
    actions = _actions(runtime)
    if actions is not None and conversation_id is not None:
        actions.seen(workspace_id, conversation_id, only_unread=True)


async def after_conversation_read(runtime: Runtime, conversation_id: int) -> None:
    """For `POST /api/v1/conversations/{id}/read`, after its commit: mark_seen on Instagram
    when customer messages arrived since the last one (sent in the background)."""
    actions = _actions(runtime)
    if actions is not None:
        actions.seen(None, conversation_id, only_unread=False)

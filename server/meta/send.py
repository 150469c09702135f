"""The Send API (PLATFORM.md section 6): request bodies, and what each outcome of a send means.

Meta's Send API has no idempotency key, so the one question that matters after a failed
send is "may it have left?". The Graph client answers it for network failures (NotSent:
the request never reached Meta; MaybeSent: it may have), and `verdict` maps every failure
to what the outbox does next: retry (provably not sent), fail (a definite refusal), unknown
(it may have been sent: wait for the echo, never resend) or reconnect (the token is dead).
"""

from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from wazify.meta.graph_errors import (
    GraphError,
    is_permission,
    is_throttling,
    is_token_dead,
    is_user_unavailable,
    is_window_closed,
)

TEXT_LIMIT_BYTES = 1000
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
ATTACHMENTS_MAX = 10
ATTACHMENT_TYPES = frozenset({"image", "video", "audio", "file"})
SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen", "react", "unreact"})
# 1: unknown error (1/1357046 is known to come back for messages that were sent); 2: service
# temporarily unavailable. Neither proves Meta refused the message.
AMBIGUOUS_CODES = frozenset({1, 2})


class SendResult(msgspec.Struct, frozen=True):
    """The Send API's answer: the recipient and, for messages, the mid its echo will carry."""

    recipient_id: str | None = None
    message_id: str | None = None


class NotSent(Exception):
    """The request never reached Meta (connection refused, connect timeout): safe to retry."""


class MaybeSent(Exception):
    """The request may have reached Meta (a timeout or a broken connection after sending)."""


Kind = Literal["retry", "failed", "unknown", "reconnect"]


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str


def message_body(
    recipient: str,
    *,
    text: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    quick_replies: list[dict[str, Any]] | None = None,
    human_agent: bool = False,
) -> dict[str, Any]:
    """A Send API body: text (optionally with quick replies) or attachments by URL."""
    message: dict[str, Any] = {}
    if attachments:
        items = [{"type": item["type"], "payload": {"url": item["url"]}} for item in attachments]
        if len(items) == 1:
            message["attachment"] = items[0]
        else:
            message["attachments"] = items
    else:
        message["text"] = text or ""
    if quick_replies:
        message["quick_replies"] = [
            {"content_type": "text", "title": item["title"], "payload": item["payload"]}
            for item in quick_replies
        ]
    body: dict[str, Any] = {"recipient": {"id": recipient}}
    if human_agent:
        # Both fields, as production integrations send them (PLATFORM.md 6.3).
        body["messaging_type"] = "MESSAGE_TAG"
        body["tag"] = "HUMAN_AGENT"
    else:
        body["messaging_type"] = "RESPONSE"
    body["message"] = message
    return body


def sender_action_body(
    recipient: str, action: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    if action not in SENDER_ACTIONS:
        raise ValueError(f"unknown sender action {action!r}")
    body: dict[str, Any] = {"recipient": {"id": recipient}, "sender_action": action}
    if payload is not None:
        body["payload"] = payload
    return body


def text_bytes(text: str | None) -> int:
    return len((text or "").encode("utf-8"))


def _code(error: GraphError) -> str:
    code = "?" if error.code is None else str(error.code)
    return f"{code}/{error.subcode}" if error.subcode is not None else code


def verdict(error: Exception) -> Verdict:
    """What a failed send means for the outbox (PLATFORM.md 6.4)."""
    if isinstance(error, NotSent):
        return Verdict("retry", f"could not reach Meta ({error}); retrying")
    if isinstance(error, MaybeSent):
        return Verdict(
            "unknown", f"no answer from Meta ({error}): it may have been sent; waiting for its echo"
        )
    if not isinstance(error, GraphError):
        return Verdict("unknown", f"unexpected failure while sending ({type(error).__name__})")
    code = _code(error)
    if is_throttling(error):
        return Verdict("retry", f"rate limited by Meta (error {code}); retrying")
    if is_token_dead(error):
        return Verdict(
            "reconnect", f"reconnect required: Meta refused the access token (error {code})"
        )
    if is_window_closed(error):
        return Verdict(
            "failed",
            f"outside the messaging window (Meta error {code}): the customer's last message is"
            " more than 24 hours old (7 days for a person's reply with the HUMAN_AGENT tag)",
        )
    if is_user_unavailable(error):
        return Verdict(
            "failed", f"this person isn't available right now (Meta error {code}); not retried"
        )
    if error.http_status >= 500 or error.code in AMBIGUOUS_CODES:
        return Verdict(
            "unknown",
            f"Meta answered HTTP {error.http_status} (error {code}): it may have been sent;"
            " waiting for its echo",
        )
    if error.code is None and error.http_status == 429:
        return Verdict("retry", "rate limited (HTTP 429); retrying")
    if is_permission(error):
        return Verdict(
            "failed", f"permission missing (Meta error {code}): {error.message}; check the account"
        )
    return Verdict("failed", f"Meta refused the message (error {code}): {error.message}")

"""Bodies of the conversation and contact routes. Requests reject unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from wazify.lib.inputs import DbId
from wazify.views import ConversationView, MessageView


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class AssignRequest(Body, kw_only=True):
    user_id: DbId


class StatusRequest(Body, kw_only=True):
    """`snoozed_until` (ISO 8601 with a zone, in the future) goes with pending only: the
    sweeper reopens the conversation then."""

    status: Literal["open", "pending", "resolved"]
    snoozed_until: datetime | None = None


class ReadRequest(Body, kw_only=True):
    """The newest message read; by default the conversation's newest message."""

    message_id: DbId | None = None


class ReadResponse(msgspec.Struct, kw_only=True):
    conversation: ConversationView
    read_message_id: int | None = None


class ContactCorrection(Body, kw_only=True):
    """Fields left out are kept; an empty display_name goes back to Meta's name."""

    display_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    notes: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None


class ConversationPage(msgspec.Struct, kw_only=True):
    items: list[ConversationView]
    next_cursor: str | None = None


class MessagePage(msgspec.Struct, kw_only=True):
    items: list[MessageView]
    next_cursor: str | None = None

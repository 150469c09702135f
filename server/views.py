"""Public views of rows: what the API returns, what events carry and what the bootstrap holds.

One definition per row kind, so an event's payload and the API's answer for the same row
can never drift apart (the convergence test relies on it). Secrets never appear here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Role = Literal["admin", "supervisor", "agent"]
Presence = Literal["online", "away", "offline"]


class View(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every view: keyword-only, strict on decode (old rows get defaults)."""


class MemberView(View, kw_only=True):
    user_id: int
    name: str
    email: str
    role: Role
    active: bool


class InvitationView(View, kw_only=True):
    """A pending invitation, as admins see it (never its secret)."""

    id: int
    email: str
    role: Role
    expires_at: datetime


class AccountView(View, kw_only=True):
    id: int
    ig_id: str
    username: str
    name: str = ""
    picture_url: str | None = None
    status: Literal["connected", "reconnect_required", "disconnected"] = "connected"
    status_reason: str = ""


class WorkspaceView(View, kw_only=True):
    """The business's own settings as every member sees them, with a pending deletion."""

    id: int
    slug: str
    name: str
    # Messages older than this many days are deleted; None: kept while the workspace exists.
    message_retention_days: int | None = None
    # A deletion an admin requested: when, and when it becomes permanent (None: none).
    deletion_requested_at: datetime | None = None
    deletion_due_at: datetime | None = None


class ContactView(View, kw_only=True):
    id: int
    account_id: int
    igsid: str
    name: str = ""
    username: str = ""
    display_name: str = ""
    picture_url: str | None = None
    notes: str = ""
    profile_state: Literal["pending", "fetched", "unavailable"] = "pending"


class ReactionView(View, kw_only=True):
    reactor_kind: Literal["contact", "user"]
    reactor_id: str
    reaction: str = ""
    emoji: str = ""


class AttachmentView(View, kw_only=True):
    type: str
    url: str | None = None
    title: str | None = None
    media_id: str | None = None
    supported: bool = True
    # Meta's attachment as received, kept for types the inbox cannot render yet.
    raw: dict | None = None


class MessageView(View, kw_only=True):
    id: int
    conversation_id: int
    direction: Literal["in", "out"]
    kind: str = "message"
    source: str = "customer"
    mid: str | None = None
    client_id: str | None = None
    author_id: int | None = None
    text: str | None = None
    attachments: list[AttachmentView] = []
    # A reply's quick replies as sent ({"title", "payload"}); None for everything else.
    quick_replies: list[dict] | None = None
    reply_to_mid: str | None = None
    reply_to_story: dict | None = None
    quick_reply_payload: str | None = None
    referral: dict | None = None
    payload: dict | None = None
    unsupported: bool = False
    standby: bool = False
    status: str = "received"
    status_reason: str = ""
    edit_count: int = 0
    edits: list[dict] = []
    deleted: bool = False
    reactions: list[ReactionView] = []
    sent_at: datetime


class ConversationView(View, kw_only=True):
    id: int
    account_id: int
    contact: ContactView
    status: Literal["open", "pending", "resolved"] = "open"
    snoozed_until: datetime | None = None
    assignee_id: int | None = None
    last_activity_at: datetime
    last_message: MessageView | None = None
    unread_count: int = 0
    window_ends_at: datetime | None = None
    human_agent_ends_at: datetime | None = None
    referral: dict | None = None
    labels: list[int] = []  # label ids (LabelView), ascending
    # When a customer's message reopened it from resolved; None once a member (or a snooze
    # ending) changed its status since. The list's "reopened" marker.
    reopened_at: datetime | None = None


class ImportJobView(View, kw_only=True):
    """An account's history import or resync, as staff follow it (docs/history.md)."""

    id: int
    account_id: int
    trigger: Literal["connect", "reconnect", "webhook_silence", "server_restart", "manual"]
    state: Literal["queued", "running", "done", "failed"]
    since: datetime
    conversations_done: int = 0
    messages_seen: int = 0
    messages_imported: int = 0
    # Progress, a passing problem ("rate limited by Meta ...; retrying"), or why it failed.
    reason: str = ""
    next_attempt_at: datetime | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ExportView(View, kw_only=True):
    """A data export job, as admins see it (the download link is not part of it: the API
    hands it to admins who ask, and it never enters the event log)."""

    id: int
    kind: Literal["workspace", "contact"]
    contact_id: int | None = None
    status: Literal["queued", "running", "done", "failed", "expired"] = "queued"
    status_reason: str = ""
    requested_by: int | None = None
    requested_label: str = ""
    rows_done: int = 0
    rows_total: int = 0
    file_size: int | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None


class NoteView(View, kw_only=True):
    """A member's internal note. `text` writes mentions as <@user_id> (shown with the
    member's current name); `mentions` lists those ids. A deleted note keeps its place in
    the thread with no text."""

    id: int
    conversation_id: int
    author_id: int | None = None
    text: str = ""
    mentions: list[int] = []
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False


class StatusChangeView(View, kw_only=True):
    """One change of a conversation's status. `reason`: "member" (`user_id` did it),
    "snooze_ended", or "customer_message" (`message_id` reopened it from resolved)."""

    id: int
    conversation_id: int
    status_from: Literal["open", "pending", "resolved"]
    status_to: Literal["open", "pending", "resolved"]
    reason: Literal["member", "snooze_ended", "customer_message"]
    user_id: int | None = None
    message_id: int | None = None
    created_at: datetime


class LabelView(View, kw_only=True):
    id: int
    name: str
    color: str = "gray"


class AssignmentSettingsView(View, kw_only=True):
    enabled: bool = False
    eligibility: Literal["online", "active"] = "online"
    strategy: Literal["least_loaded", "round_robin"] = "least_loaded"
    default_capacity: int = 5
    offline_return_minutes: int | None = None


class AssignmentMemberView(View, kw_only=True):
    """A member's load (conversations assigned and not resolved) against capacity."""

    user_id: int
    name: str
    role: Role
    online: bool
    capacity: int
    own_capacity: int | None = None  # null: the workspace's default
    load: int


class AssignmentAccountView(View, kw_only=True):
    """A connected account's own auto-assignment on/off (null: it follows the workspace)."""

    account_id: int
    username: str
    enabled: bool | None = None


class AssignmentOverview(View, kw_only=True):
    """The team view's queue: how many wait, since when the longest has, members' loads."""

    settings: AssignmentSettingsView
    waiting: int
    oldest_waiting_since: datetime | None = None
    longest_wait_seconds: int = 0
    members: list[AssignmentMemberView]
    accounts: list[AssignmentAccountView]


class CannedResponseView(View, kw_only=True):
    """A saved reply; `owner_id` is None for one shared with the workspace."""

    id: int
    shortcut: str
    text: str
    owner_id: int | None = None
    usage_count: int = 0

"""The wire contract: every logged event, one msgspec tagged union (tag field `type`).

Events are flat: the envelope (seq, workspace_id, at) sits on the base Struct beside the
tag. `seq` is 0 while an event is buffered in a unit of work and is set just before commit.
Each event carries the full row as the bootstrap holds it, so a client applies it without
fetching. New fields must get defaults so rows already in the log still decode.
Documented for client authors in docs/realtime.md.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from wazify.views import (
    AccountView,
    CannedResponseView,
    ContactView,
    ConversationView,
    ExportView,
    ImportJobView,
    InvitationView,
    LabelView,
    MemberView,
    MessageView,
    NoteView,
    ReactionView,
    StatusChangeView,
    WorkspaceView,
)


class EventBase(msgspec.Struct, kw_only=True, tag_field="type", forbid_unknown_fields=True):
    seq: int = 0
    workspace_id: int
    at: datetime


class MessageCreated(EventBase, tag="message.created"):
    conversation: ConversationView
    message: MessageView


class MessageUpdated(EventBase, tag="message.updated"):
    message: MessageView


class MessagesSeen(EventBase, tag="messages.seen"):
    """A customer's read receipt: every message of ours it marked read."""

    conversation_id: int
    message_ids: list[int]


class ReactionChanged(EventBase, tag="reaction.changed"):
    conversation_id: int
    message_id: int
    reactions: list[ReactionView]


class ConversationCreated(EventBase, tag="conversation.created"):
    conversation: ConversationView


class ConversationUpdated(EventBase, tag="conversation.updated"):
    conversation: ConversationView


class ConversationAssigned(EventBase, tag="conversation.assigned"):
    conversation: ConversationView
    previous_assignee_id: int | None = None
    assigned_by: int | None = None
    # Set on automatic assignments (assigned_by is then null): why this member, why now.
    reason: str | None = None


class ConversationReopened(EventBase, tag="conversation.reopened"):
    """A customer's message reopened a resolved conversation (after its message.created):
    the conversation as it stands and the change, for the line in the thread."""

    conversation: ConversationView
    change: StatusChangeView


class ConversationRead(EventBase, tag="conversation.read"):
    conversation_id: int
    read_by: int


class ReadPositionUpdated(EventBase, tag="read_position.updated"):
    conversation_id: int
    user_id: int
    message_id: int | None = None


class ContactUpdated(EventBase, tag="contact.updated"):
    contact: ContactView


class MemberUpdated(EventBase, tag="member.updated"):
    member: MemberView


class AccountUpdated(EventBase, tag="account.updated"):
    account: AccountView


class ImportJobUpdated(EventBase, tag="import_job.updated"):
    """An account's history import or resync moved on (queued, progress, done, failed)."""

    job: ImportJobView


class WorkspaceUpdated(EventBase, tag="workspace.updated"):
    """The workspace's name, message retention or pending deletion changed."""

    workspace: WorkspaceView


class ContactErased(EventBase, tag="contact.erased"):
    """A contact was erased on request: drop it and these conversations of theirs."""

    contact_id: int
    conversation_ids: list[int]


class AccountErased(EventBase, tag="account.erased"):
    """An Instagram account's data was deleted: drop it and every conversation it had."""

    account_id: int


class EventRedacted(EventBase, tag="event.redacted"):
    """What a logged event that named erased data reads as now: its seq stays (the log
    stays contiguous for resume), its content is gone. Clients skip it."""


class ExportUpdated(EventBase, tag="export.updated"):
    """A data export job was requested or moved on (progress, done, failed, expired)."""

    export: ExportView


class NoteCreated(EventBase, tag="note.created"):
    note: NoteView


class NoteUpdated(EventBase, tag="note.updated"):
    """A note edited or deleted by its author."""

    note: NoteView


class MentionsUpdated(EventBase, tag="mentions.updated"):
    """One member's unread mentions (to that member only): a note mentioned them, they
    read some (`read_note_ids`), or a note that mentioned them changed."""

    user_id: int
    unread_count: int
    read_note_ids: list[int] = []


class LabelCreated(EventBase, tag="label.created"):
    label: LabelView


class LabelUpdated(EventBase, tag="label.updated"):
    label: LabelView


class LabelDeleted(EventBase, tag="label.deleted"):
    """The label is gone, and with it from every conversation's `labels`."""

    label_id: int


class CannedResponseCreated(EventBase, tag="canned_response.created"):
    canned_response: CannedResponseView


class CannedResponseUpdated(EventBase, tag="canned_response.updated"):
    canned_response: CannedResponseView


class CannedResponseDeleted(EventBase, tag="canned_response.deleted"):
    canned_response_id: int


class InvitationCreated(EventBase, tag="invitation.created"):
    """An admin invited someone (to admins only: the list of pending invitations)."""

    invitation: InvitationView


class InvitationRemoved(EventBase, tag="invitation.removed"):
    """A pending invitation left the list: cancelled by an admin, or accepted."""

    invitation_id: int
    reason: str = "cancelled"  # "cancelled" or "accepted"


Event = (
    MessageCreated
    | MessageUpdated
    | MessagesSeen
    | ReactionChanged
    | ConversationCreated
    | ConversationUpdated
    | ConversationAssigned
    | ConversationReopened
    | ConversationRead
    | ReadPositionUpdated
    | ContactUpdated
    | MemberUpdated
    | AccountUpdated
    | ImportJobUpdated
    | WorkspaceUpdated
    | ContactErased
    | AccountErased
    | EventRedacted
    | ExportUpdated
    | NoteCreated
    | NoteUpdated
    | MentionsUpdated
    | LabelCreated
    | LabelUpdated
    | LabelDeleted
    | CannedResponseCreated
    | CannedResponseUpdated
    | CannedResponseDeleted
    | InvitationCreated
    | InvitationRemoved
)

EVENT_TYPES: tuple[type[EventBase], ...] = Event.__args__  # type: ignore[attr-defined]


class Audience(msgspec.Struct, frozen=True, kw_only=True):
    """Who in the workspace may see an event; resolved when it is written, stored with it.

    `user_id` narrows to one member (an agent's own read position); `roles` narrows to
    roles (admin detail for admins and supervisors). Both None: the whole workspace.
    """

    user_id: int | None = None
    roles: tuple[str, ...] | None = None

    def admits(self, user_id: int, role: str) -> bool:
        if self.user_id is not None and self.user_id != user_id:
            return False
        return self.roles is None or role in self.roles


EVERYONE = Audience()
STAFF = Audience(roles=("admin", "supervisor"))
ADMINS = Audience(roles=("admin",))


def only(user_id: int) -> Audience:
    return Audience(user_id=user_id)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(event: EventBase) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> Event:
    return _decoder.decode(data)

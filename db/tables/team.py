"""The team's own tools: internal notes (with their @mentions), labels and canned responses.

Notes have a table of their own rather than being messages rows of a kind "note": nothing
that reads `messages` (ingest and echo matching, the outbox claim, the conversation's last
message and unread count, response-time metrics, a customer's data export) can then take
a note for something the customer wrote or was sent. Whatever wants notes names this table.

The schema's definition (see db/tables/identity.py); indexes, the notes' full-text index
and the case-insensitive uniqueness of names are raw SQL steps in db/migrations.
"""

from piccolo.columns import BigSerial, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import User, Workspace
from wazify.db.tables.inbox import Conversation

# A fixed palette: each name has a background and text colour in the web app's styles that
# together pass WCAG AA contrast. The actions list the same names (wazify.actions.labels).
LABEL_COLORS = (
    "gray",
    "red",
    "orange",
    "yellow",
    "green",
    "teal",
    "blue",
    "indigo",
    "violet",
    "pink",
)


class Note(Table, tablename="notes"):
    """A member's internal note in a conversation: never sent to Instagram."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    conversation = reference(Conversation, "conversation_id")
    author = reference(User, "author_id", null=True, on_delete=OnDelete.set_null)
    # Mentions are written in the text as <@user_id>, shown with the member's current name.
    text = Text(default="")
    edited_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())


class NoteMention(Table, tablename="note_mentions"):
    """A member mentioned in a note, and when they read it (null: unread)."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    note = reference(Note, "note_id")
    user = reference(User, "user_id")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=Now())

    note_mentions_note_id_user_id_key = Unique(["note_id", "user_id"])


class Label(Table, tablename="labels"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    name = Text(default=None)
    color = Text(default="gray")
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

    labels_color_check = Check(f"color IN ({', '.join(repr(c) for c in LABEL_COLORS)})")


class ConversationLabel(Table, tablename="conversation_labels"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    conversation = reference(Conversation, "conversation_id")
    label = reference(Label, "label_id")
    added_by = reference(User, "added_by", null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=Now())

    conversation_labels_conversation_id_label_id_key = Unique(["conversation_id", "label_id"])


class CannedResponse(Table, tablename="canned_responses"):
    """A saved reply: shared with the workspace (no owner) or one member's own."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    owner = reference(User, "owner_id", null=True)
    shortcut = Text(default=None)
    text = Text(default=None)
    usage_count = Integer(default=0)
    created_by = reference(User, "created_by", null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

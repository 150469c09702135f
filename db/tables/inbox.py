"""Connected Instagram accounts, contacts, conversations and messages.

The schema's definition (see db/tables/identity.py); indexes, the composite key of
read_positions and messages.search (a generated tsvector) are raw SQL steps in db/migrations.
"""

from piccolo.columns import JSONB, BigInt, BigSerial, Boolean, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import Session, User, Workspace


class IgAccount(Table, tablename="ig_accounts"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    ig_id = Text(unique=True, default=None)
    username = Text(default="")
    name = Text(default="")
    picture_url = Text(null=True, default=None)
    access_token_enc = Text(null=True, default=None, secret=True)
    token_expires_at = Timestamptz(null=True, default=None)
    token_refreshed_at = Timestamptz(null=True, default=None)
    scopes = Text(default="")
    meta_user_id = Text(null=True, default=None)
    status = Text(default="connected")
    status_reason = Text(default="")
    subscribed_at = Timestamptz(null=True, default=None)
    last_webhook_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

    ig_accounts_status_check = Check(
        "status IN ('connected', 'reconnect_required', 'disconnected')"
    )


class Contact(Table, tablename="contacts"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    account = reference(IgAccount, "account_id")
    igsid = Text(default=None)
    name = Text(default="")
    username = Text(default="")
    picture_url = Text(null=True, default=None)
    display_name = Text(default="")
    notes = Text(default="")
    profile_state = Text(default="pending")
    profile_error = Text(default="")
    profile_fetched_at = Timestamptz(null=True, default=None)
    # The rest of Meta's user profile, as last fetched (follower_count, whether each follows
    # the other, is_verified_user): shown in the contact panel, null until fetched.
    profile_facts = JSONB(null=True, default=None)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

    contacts_profile_state_check = Check("profile_state IN ('pending', 'fetched', 'unavailable')")
    contacts_account_id_igsid_key = Unique(["account_id", "igsid"])


class Conversation(Table, tablename="conversations"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    account = reference(IgAccount, "account_id")
    contact = reference(Contact, "contact_id")
    status = Text(default="open")
    snoozed_until = Timestamptz(null=True, default=None)
    assignee = reference(User, "assignee_id", null=True, on_delete=OnDelete.set_null)
    last_activity_at = Timestamptz(default=Now())
    last_message_id = BigInt(null=True, default=None)
    last_message_at = Timestamptz(null=True, default=None)
    unread_count = Integer(default=0)
    last_customer_message_at = Timestamptz(null=True, default=None)
    window_ends_at = Timestamptz(null=True, default=None)
    human_agent_ends_at = Timestamptz(null=True, default=None)
    referral = JSONB(null=True, default=None)
    first_response_at = Timestamptz(null=True, default=None)
    # Its report facts need recomputing (wazify.reports.maintain): set by every write of a
    # message or status, cleared by the reports worker.
    facts_stale = Boolean(default=True)
    # When a customer's message last reopened it from resolved; cleared by the next change
    # of status by hand or by a snooze ending (the list's "reopened" marker).
    reopened_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

    conversations_status_check = Check("status IN ('open', 'pending', 'resolved')")
    conversations_account_id_contact_id_key = Unique(["account_id", "contact_id"])


class Message(Table, tablename="messages"):
    """A customer's item, an echo, or our reply; for replies the row is also the outbox."""

    id = BigSerial(primary_key=True)
    # Copies of the conversation's workspace and account (for indexes), not foreign keys:
    # the conversation's key already cascades, and two more checks per row cost about a
    # third of a batched insert (the batched-ingest migration says the figure).
    workspace_id = BigInt(default=None)
    conversation = reference(Conversation, "conversation_id")
    account_id = BigInt(default=None)
    direction = Text(default=None)
    kind = Text(default="message")
    source = Text(default="customer")
    mid = Text(null=True, default=None)
    client_id = Text(null=True, default=None)
    author = reference(User, "author_id", null=True, on_delete=OnDelete.set_null)
    text = Text(null=True, default=None)
    attachments = JSONB(default="[]")
    quick_replies = JSONB(null=True, default=None)
    reply_to_mid = Text(null=True, default=None)
    reply_to_story = JSONB(null=True, default=None)
    quick_reply_payload = Text(null=True, default=None)
    referral = JSONB(null=True, default=None)
    payload = JSONB(null=True, default=None)
    unsupported = Boolean(default=False)
    standby = Boolean(default=False)
    status = Text(default="received")
    status_reason = Text(default="")
    human_agent_tag = Boolean(default=False)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    sending_at = Timestamptz(null=True, default=None)
    edit_count = Integer(default=0)
    edits = JSONB(default="[]")
    deleted_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(default=None)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

    messages_direction_check = Check("direction IN ('in', 'out')")
    messages_kind_check = Check(
        "kind IN ('message', 'postback', 'referral', 'optin', 'handover', 'unknown')"
    )
    messages_source_check = Check("source IN ('customer', 'agent', 'instagram_app', 'self_test')")
    messages_status_check = Check(
        "status IN ('received', 'pending', 'sending', 'sent', 'delivered', 'read', 'failed',"
        " 'unknown')"
    )


class Reaction(Table, tablename="reactions"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    message = reference(Message, "message_id")
    reactor_kind = Text(default=None)
    reactor_id = Text(default=None)
    reaction = Text(default="")
    emoji = Text(default="")
    reacted_at = Timestamptz(default=None)
    # A tombstone: the reactor's latest event (at reacted_at) was an unreact.
    removed = Boolean(default=False)

    reactions_reactor_kind_check = Check("reactor_kind IN ('contact', 'user')")
    reactions_message_id_reactor_kind_reactor_id_key = Unique(
        ["message_id", "reactor_kind", "reactor_id"]
    )


class DeferredEffect(Table, tablename="deferred_effects"):
    id = BigSerial(primary_key=True)
    account = reference(IgAccount, "account_id")
    mid = Text(default=None)
    effect = JSONB(default=None)
    occurred_at = Timestamptz(default=None)
    created_at = Timestamptz(default=Now())


class ReadPosition(Table, tablename="read_positions"):
    # The key is (user_id, conversation_id): a raw step widens the one-column key Piccolo
    # can name. Rows are upserted by SQL, never save()d through Piccolo.
    user = reference(User, "user_id", primary_key=True)
    conversation = reference(Conversation, "conversation_id")
    workspace = reference(Workspace, "workspace_id")
    message_id = BigInt(null=True, default=None)
    read_at = Timestamptz(default=Now())


class OAuthState(Table, tablename="oauth_states"):
    """Instagram Login's CSRF state (hashed), bound to one admin session, used once."""

    state_hash = Text(primary_key=True, default=None, secret=True)
    session = reference(Session, "session_hash", secret=True)
    workspace = reference(Workspace, "workspace_id")
    user = reference(User, "user_id")
    created_at = Timestamptz(default=Now())
    expires_at = Timestamptz(default=None)


class Upload(Table, tablename="uploads"):
    """A file a member attached from the composer: stored under the upload folder as
    `file_name`, served to Meta at /media/<token> (unguessable), sent as `message_id`."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    conversation = reference(Conversation, "conversation_id")
    token = Text(unique=True, default=None, secret=True)
    file_name = Text(default=None)
    kind = Text(default=None)
    content_type = Text(default=None)
    size = BigInt(default=None)
    uploaded_by = reference(User, "uploaded_by", null=True, on_delete=OnDelete.set_null)
    message_id = BigInt(null=True, default=None)
    created_at = Timestamptz(default=Now())

    uploads_kind_check = Check("kind IN ('image', 'video', 'audio')")

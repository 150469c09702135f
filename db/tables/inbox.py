"""Connected Instagram accounts, contacts, conversations and messages. Mirrors db/migrations."""

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from wazify.db.tables.identity import User, Workspace


class IgAccount(Table, tablename="ig_accounts"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    ig_id = Text(unique=True)
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
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Contact(Table, tablename="contacts"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    account = ForeignKey(IgAccount, db_column_name="account_id")
    igsid = Text()
    name = Text(default="")
    username = Text(default="")
    picture_url = Text(null=True, default=None)
    display_name = Text(default="")
    notes = Text(default="")
    profile_state = Text(default="pending")
    profile_error = Text(default="")
    profile_fetched_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Conversation(Table, tablename="conversations"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    account = ForeignKey(IgAccount, db_column_name="account_id")
    contact = ForeignKey(Contact, db_column_name="contact_id")
    status = Text(default="open")
    snoozed_until = Timestamptz(null=True, default=None)
    assignee = ForeignKey(User, db_column_name="assignee_id", null=True)
    last_activity_at = Timestamptz(default=TimestamptzNow())
    last_message_id = BigInt(null=True, default=None)
    last_message_at = Timestamptz(null=True, default=None)
    unread_count = Integer(default=0)
    last_customer_message_at = Timestamptz(null=True, default=None)
    window_ends_at = Timestamptz(null=True, default=None)
    human_agent_ends_at = Timestamptz(null=True, default=None)
    referral = JSONB(null=True, default=None)
    first_response_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Message(Table, tablename="messages"):
    """A customer's item, an echo, or our reply; for replies the row is also the outbox."""

    id = BigSerial(primary_key=True)
    # Copies of the conversation's workspace and account (for indexes), not foreign keys:
    # the conversation's key already cascades, and two more checks per row cost about a
    # third of a batched insert (0004_batched_ingest.sql).
    workspace_id = BigInt()
    conversation = ForeignKey(Conversation, db_column_name="conversation_id")
    account_id = BigInt()
    direction = Text()
    kind = Text(default="message")
    source = Text(default="customer")
    mid = Text(null=True, default=None)
    client_id = Text(null=True, default=None)
    author = ForeignKey(User, db_column_name="author_id", null=True)
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
    sent_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Reaction(Table, tablename="reactions"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    message = ForeignKey(Message, db_column_name="message_id")
    reactor_kind = Text()
    reactor_id = Text()
    reaction = Text(default="")
    emoji = Text(default="")
    reacted_at = Timestamptz()
    # A tombstone: the reactor's latest event (at reacted_at) was an unreact.
    removed = Boolean(default=False)


class DeferredEffect(Table, tablename="deferred_effects"):
    id = BigSerial(primary_key=True)
    account = ForeignKey(IgAccount, db_column_name="account_id")
    mid = Text()
    effect = JSONB()
    occurred_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class ReadPosition(Table, tablename="read_positions"):
    # Composite key (user_id, conversation_id) in SQL; Piccolo names one column only.
    user_id = BigInt(primary_key=True)
    conversation_id = BigInt()
    workspace_id = BigInt()
    message_id = BigInt(null=True, default=None)
    read_at = Timestamptz(default=TimestamptzNow())


class OAuthState(Table, tablename="oauth_states"):
    """Instagram Login's CSRF state (hashed), bound to one admin session, used once."""

    state_hash = Text(primary_key=True, secret=True)
    session_hash = Text(secret=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    user = ForeignKey(User, db_column_name="user_id")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()

-- Wazify schema, designed up front so later work adds columns rather than reworking.
-- Every domain row carries workspace_id: every query is scoped by it.

CREATE TABLE workspaces (
    id          bigserial PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The per-workspace event counter lives in its own table: its row lock (held from the
-- sequence allocation to commit) must never block edits of the workspace row itself.
CREATE TABLE workspace_counters (
    workspace_id bigint PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    last_seq     bigint NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id                  bigserial PRIMARY KEY,
    email               text NOT NULL UNIQUE CHECK (email = lower(email)),
    name                text NOT NULL DEFAULT '',
    password_hash       text,
    password_changed_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id           bigserial PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Server-side sessions; only a hash of the session id is stored.
CREATE TABLE sessions (
    id_hash      text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    client_addr  text,
    user_agent   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, id);

CREATE TABLE invitations (
    id           bigserial PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    token_hash   text NOT NULL UNIQUE,
    created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz
);

-- Failed login attempts, per key ("email:<addr>" or "ip:<addr>"), for throttling that
-- holds across server processes.
CREATE TABLE login_attempts (
    key          text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_key ON login_attempts (key, attempted_at);

CREATE TABLE ig_accounts (
    id                 bigserial PRIMARY KEY,
    workspace_id       bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ig_id              text NOT NULL UNIQUE,
    username           text NOT NULL DEFAULT '',
    name               text NOT NULL DEFAULT '',
    picture_url        text,
    access_token_enc   text,
    token_expires_at   timestamptz,
    token_refreshed_at timestamptz,
    scopes             text NOT NULL DEFAULT '',
    meta_user_id       text,
    status             text NOT NULL DEFAULT 'connected'
                       CHECK (status IN ('connected', 'reconnect_required', 'disconnected')),
    status_reason      text NOT NULL DEFAULT '',
    subscribed_at      timestamptz,
    last_webhook_at    timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ig_accounts_workspace ON ig_accounts (workspace_id);

CREATE TABLE contacts (
    id                 bigserial PRIMARY KEY,
    workspace_id       bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id         bigint NOT NULL REFERENCES ig_accounts (id) ON DELETE CASCADE,
    igsid              text NOT NULL,
    name               text NOT NULL DEFAULT '',
    username           text NOT NULL DEFAULT '',
    picture_url        text,
    display_name       text NOT NULL DEFAULT '',
    notes              text NOT NULL DEFAULT '',
    profile_state      text NOT NULL DEFAULT 'pending'
                       CHECK (profile_state IN ('pending', 'fetched', 'unavailable')),
    profile_error      text NOT NULL DEFAULT '',
    profile_fetched_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, igsid)
);
CREATE INDEX contacts_workspace ON contacts (workspace_id);
CREATE INDEX contacts_profile_due ON contacts (profile_fetched_at) WHERE profile_state <> 'unavailable';

CREATE TABLE conversations (
    id                       bigserial PRIMARY KEY,
    workspace_id             bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id               bigint NOT NULL REFERENCES ig_accounts (id) ON DELETE CASCADE,
    contact_id               bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status                   text NOT NULL DEFAULT 'open'
                             CHECK (status IN ('open', 'pending', 'resolved')),
    snoozed_until            timestamptz,
    assignee_id              bigint REFERENCES users (id) ON DELETE SET NULL,
    last_activity_at         timestamptz NOT NULL DEFAULT now(),
    last_message_id          bigint,
    unread_count             integer NOT NULL DEFAULT 0,
    last_customer_message_at timestamptz,
    window_ends_at           timestamptz,
    human_agent_ends_at      timestamptz,
    referral                 jsonb,
    first_response_at        timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, contact_id)
);
CREATE INDEX conversations_recent ON conversations (workspace_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (workspace_id, assignee_id, last_activity_at DESC);
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'pending';

-- The message row is also the outbox for replies (status per ARCHITECTURE.md, "Replies out").
CREATE TABLE messages (
    id               bigserial PRIMARY KEY,
    workspace_id     bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id  bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    account_id       bigint NOT NULL REFERENCES ig_accounts (id) ON DELETE CASCADE,
    direction        text NOT NULL CHECK (direction IN ('in', 'out')),
    kind             text NOT NULL DEFAULT 'message'
                     CHECK (kind IN ('message', 'postback', 'referral', 'optin', 'handover', 'unknown')),
    source           text NOT NULL DEFAULT 'customer'
                     CHECK (source IN ('customer', 'agent', 'instagram_app', 'self_test')),
    mid              text,
    client_id        text,
    author_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    text             text,
    attachments      jsonb NOT NULL DEFAULT '[]',
    quick_replies    jsonb,
    reply_to_mid     text,
    reply_to_story   jsonb,
    quick_reply_payload text,
    referral         jsonb,
    payload          jsonb,
    unsupported      boolean NOT NULL DEFAULT false,
    standby          boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'received'
                     CHECK (status IN ('received', 'pending', 'sending', 'sent', 'delivered',
                                       'read', 'failed', 'unknown')),
    status_reason    text NOT NULL DEFAULT '',
    human_agent_tag  boolean NOT NULL DEFAULT false,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    lease_until      timestamptz,
    sending_at       timestamptz,
    edit_count       integer NOT NULL DEFAULT 0,
    edits            jsonb NOT NULL DEFAULT '[]',
    deleted_at       timestamptz,
    sent_at          timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    search           tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(text, ''))) STORED
);
CREATE UNIQUE INDEX messages_mid ON messages (account_id, mid) WHERE mid IS NOT NULL;
CREATE UNIQUE INDEX messages_client_id ON messages (workspace_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_history ON messages (conversation_id, sent_at DESC, id DESC);
CREATE INDEX messages_outbox ON messages (next_attempt_at) WHERE status IN ('pending', 'sending', 'unknown');
CREATE INDEX messages_search ON messages USING gin (search);

CREATE TABLE reactions (
    id           bigserial PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id   bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    reactor_kind text NOT NULL CHECK (reactor_kind IN ('contact', 'user')),
    reactor_id   text NOT NULL,
    reaction     text NOT NULL DEFAULT '',
    emoji        text NOT NULL DEFAULT '',
    reacted_at   timestamptz NOT NULL,
    UNIQUE (message_id, reactor_kind, reactor_id)
);

-- Reactions, read receipts, edits and unsends that arrived before their message: kept
-- here and applied when the message arrives (Meta does not order deliveries).
CREATE TABLE deferred_effects (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES ig_accounts (id) ON DELETE CASCADE,
    mid         text NOT NULL,
    effect      jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deferred_effects_mid ON deferred_effects (account_id, mid);

CREATE TABLE read_positions (
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    workspace_id    bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id      bigint,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, conversation_id)
);

-- The event log. (workspace_id, seq) is contiguous per workspace, in commit order.
-- audience_user_id / audience_roles narrow who may see an event; NULL means everyone in
-- the workspace. The payload is the event's JSON exactly as sent live (text, not jsonb:
-- it is only ever replayed verbatim, and text is about twice as cheap to write).
CREATE TABLE events (
    workspace_id     bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    seq              bigint NOT NULL,
    type             text NOT NULL,
    payload          text NOT NULL,
    audience_user_id bigint,
    audience_roles   text[],
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE audit_entries (
    id           bigserial PRIMARY KEY,
    workspace_id bigint REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_label  text NOT NULL DEFAULT '',
    action       text NOT NULL,
    target_type  text NOT NULL DEFAULT '',
    target_id    text NOT NULL DEFAULT '',
    before       jsonb,
    after        jsonb,
    client_addr  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_entries_recent ON audit_entries (workspace_id, created_at DESC, id DESC);
CREATE INDEX audit_entries_actor ON audit_entries (workspace_id, actor_id, created_at DESC);

-- Raw webhook deliveries, committed before Meta gets its 200, so any delivery can be
-- replayed. An identical redelivery (same bytes) is recognised by its hash. ig_ids names
-- the Instagram accounts a body mentions (set when processed): a workspace's admins see
-- the receipts of their own accounts only.
CREATE TABLE webhook_receipts (
    id           bigserial PRIMARY KEY,
    body         bytea NOT NULL,
    body_sha256  bytea NOT NULL UNIQUE,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'processed', 'quarantined', 'ignored')),
    reason       text NOT NULL DEFAULT '',
    ig_ids       text[] NOT NULL DEFAULT '{}',
    attempts     integer NOT NULL DEFAULT 0,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX webhook_receipts_pending ON webhook_receipts (id) WHERE state = 'pending';
CREATE INDEX webhook_receipts_state ON webhook_receipts (state, id DESC);
CREATE INDEX webhook_receipts_accounts ON webhook_receipts USING gin (ig_ids);

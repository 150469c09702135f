-- Instagram Login: the CSRF `state` of each authorize redirect, bound to the admin's
-- session and usable once (the callback deletes it). Only a hash of the state is kept.
CREATE TABLE oauth_states (
    state_hash   text PRIMARY KEY,
    session_hash text NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- History imports and resyncs through Meta's Conversations API (docs/history.md). One row
-- per job; its cursor and progress live here, so a job survives a restart and resumes
-- where it stopped. At most one job per account is queued or running at a time (the
-- partial unique index), and a running job belongs to the process holding its lease.
CREATE TABLE import_jobs (
    id                 bigserial PRIMARY KEY,
    workspace_id       bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id         bigint NOT NULL REFERENCES ig_accounts (id) ON DELETE CASCADE,
    trigger            text NOT NULL
                       CHECK (trigger IN ('connect', 'reconnect', 'webhook_silence',
                                          'server_restart', 'manual')),
    state              text NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- The oldest activity the job covers: threads updated before it are not visited, and
    -- messages created before it are not imported.
    since              timestamptz NOT NULL,
    requested_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Where the walk stands: the `after` cursor of the page being worked through (NULL:
    -- the first page), the last-active time of the last thread applied on it (threads
    -- more recent were applied: a resumed page skips them, even if some moved meanwhile),
    -- and the phase (1: the window, 2: a catch-up over threads that became active while
    -- the walk ran, which jumped to the top of the list behind its cursor).
    cursor             text,
    page_mark          timestamptz,
    phase              integer NOT NULL DEFAULT 1 CHECK (phase IN (1, 2)),
    listing_started_at timestamptz,
    conversations_done integer NOT NULL DEFAULT 0,
    messages_seen      integer NOT NULL DEFAULT 0,
    messages_imported  integer NOT NULL DEFAULT 0,
    graph_calls        integer NOT NULL DEFAULT 0,
    -- Consecutive passing failures (throttling, 5xx, network), for the backoff.
    attempts           integer NOT NULL DEFAULT 0,
    reason             text NOT NULL DEFAULT '',
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    lease_until        timestamptz,
    lease_token        text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX import_jobs_one_active ON import_jobs (account_id)
    WHERE state IN ('queued', 'running');
CREATE INDEX import_jobs_due ON import_jobs (next_attempt_at) WHERE state IN ('queued', 'running');
CREATE INDEX import_jobs_account ON import_jobs (account_id, id DESC);

-- One row: a random id for this installation, drawn when the database is migrated. Its
-- Redis channels are named after it, so two installations sharing one Redis never see
-- each other's events.
CREATE TABLE installation (
    id         text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation (id) SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 16);

"""Workspaces, people and how they sign in. Mirrors db/migrations (the SQL is the truth)."""

from piccolo.columns import (
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Text,
    Timestamptz,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Workspace(Table, tablename="workspaces"):
    id = BigSerial(primary_key=True)
    slug = Text(unique=True)
    name = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class WorkspaceCounter(Table, tablename="workspace_counters"):
    """The per-workspace event sequence; its own table so its lock blocks nothing else."""

    workspace_id = BigInt(primary_key=True)
    last_seq = BigInt(default=0)


class User(Table, tablename="users"):
    id = BigSerial(primary_key=True)
    email = Text(unique=True)
    name = Text(default="")
    password_hash = Text(null=True, default=None, secret=True)
    password_changed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="memberships"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    user = ForeignKey(User, db_column_name="user_id")
    role = Text()
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="sessions"):
    id_hash = Text(primary_key=True, secret=True)
    user = ForeignKey(User, db_column_name="user_id")
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    csrf_token = Text(secret=True)
    client_addr = Text(null=True, default=None)
    user_agent = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_tokens"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    user = ForeignKey(User, db_column_name="user_id")
    name = Text()
    token_hash = Text(unique=True, secret=True)
    prefix = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="invitations"):
    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    email = Text()
    role = Text()
    token_hash = Text(unique=True, secret=True)
    created_by = ForeignKey(User, db_column_name="created_by", null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table, tablename="login_attempts"):
    # The SQL table has no primary key of its own; Piccolo needs one named, and `key`
    # is only ever used for inserts and counts, never save()/refresh().
    key = Text(primary_key=True)
    attempted_at = Timestamptz(default=TimestamptzNow())

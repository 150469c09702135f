"""Workspaces, people and how they sign in.

These classes are the schema's definition: db/migrations is generated from them (see
docs/migrations.md). Indexes live in the migrations' raw SQL steps, named as they always were.
"""

from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference

ROLES = "role IN ('admin', 'supervisor', 'agent')"


class Workspace(Table, tablename="workspaces"):
    id = BigSerial(primary_key=True)
    slug = Text(unique=True, default=None)
    name = Text(default=None)
    created_at = Timestamptz(default=Now())
    # Messages older than this many days are deleted by the sweeper; None: kept while the
    # workspace exists.
    message_retention_days = Integer(null=True, default=None)

    workspaces_slug_check = Check("slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'")
    workspaces_message_retention_days_check = Check(
        "message_retention_days IS NULL OR message_retention_days BETWEEN 1 AND 36500"
    )


class WorkspaceCounter(Table, tablename="workspace_counters"):
    """The per-workspace event sequence; its own table so its lock blocks nothing else."""

    workspace = reference(Workspace, "workspace_id", primary_key=True)
    last_seq = BigInt(default=0)


class User(Table, tablename="users"):
    id = BigSerial(primary_key=True)
    email = Text(unique=True, default=None)
    name = Text(default="")
    password_hash = Text(null=True, default=None, secret=True)
    password_changed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=Now())

    users_email_check = Check("email = lower(email)")


class Membership(Table, tablename="memberships"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    user = reference(User, "user_id")
    role = Text(default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=Now())
    updated_at = Timestamptz(default=Now())

    memberships_role_check = Check(ROLES)
    memberships_workspace_id_user_id_key = Unique(["workspace_id", "user_id"])


class Session(Table, tablename="sessions"):
    id_hash = Text(primary_key=True, default=None, secret=True)
    user = reference(User, "user_id")
    workspace = reference(Workspace, "workspace_id")
    csrf_token = Text(default=None, secret=True)
    client_addr = Text(null=True, default=None)
    user_agent = Text(null=True, default=None)
    created_at = Timestamptz(default=Now())
    last_seen_at = Timestamptz(default=Now())
    expires_at = Timestamptz(default=None)
    ended_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_tokens"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    user = reference(User, "user_id")
    name = Text(default=None)
    token_hash = Text(unique=True, default=None, secret=True)
    prefix = Text(default=None)
    created_at = Timestamptz(default=Now())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="invitations"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    email = Text(default=None)
    role = Text(default=None)
    token_hash = Text(unique=True, default=None, secret=True)
    created_by = reference(User, "created_by", null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=Now())
    expires_at = Timestamptz(default=None)
    accepted_at = Timestamptz(null=True, default=None)

    invitations_role_check = Check(ROLES)


class LoginAttempt(Table, tablename="login_attempts"):
    # The table has no primary key (a raw step drops the one Piccolo insists on naming);
    # rows are only inserted, counted and deleted, never save()d or refresh()ed.
    key = Text(primary_key=True, default=None)
    attempted_at = Timestamptz(default=Now())

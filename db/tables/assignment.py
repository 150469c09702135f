"""Auto-assignment: a workspace's settings, its members' capacity and presence, the queue.

The schema's definition (see db/tables/identity.py); the queue's order index is a raw SQL
step in db/migrations. The settings row is also the workspace's assignment lock: every
decision holds it FOR UPDATE, every transaction that may queue or add load holds it
FOR SHARE (wazify.actions.assignment says why).
"""

from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Text, Timestamptz
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import User, Workspace
from wazify.db.tables.inbox import Conversation, IgAccount

ELIGIBILITY = ("online", "active")
STRATEGIES = ("least_loaded", "round_robin")
CAPACITY_MAX = 1000
OFFLINE_MAX = 1440


class AssignmentSettings(Table, tablename="assignment_settings"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    enabled = Boolean(default=False)
    eligibility = Text(default="online")
    strategy = Text(default="least_loaded")
    default_capacity = Integer(default=5)
    # Round robin's cursor: the member assigned last (the next turn is the one after).
    last_assignee_id = BigInt(null=True, default=None)
    # Online eligibility only: a member offline this long gets their unanswered
    # conversations returned to the queue (null: never).
    offline_return_minutes = Integer(null=True, default=None)
    updated_at = Timestamptz(default=Now())

    assignment_settings_workspace_id_key = Unique(["workspace_id"])
    assignment_settings_eligibility_check = Check(
        f"eligibility IN ({', '.join(repr(e) for e in ELIGIBILITY)})"
    )
    assignment_settings_strategy_check = Check(
        f"strategy IN ({', '.join(repr(s) for s in STRATEGIES)})"
    )
    assignment_settings_capacity_check = Check(f"default_capacity BETWEEN 0 AND {CAPACITY_MAX}")
    assignment_settings_offline_check = Check(
        f"offline_return_minutes IS NULL OR offline_return_minutes BETWEEN 1 AND {OFFLINE_MAX}"
    )


class AssignmentMember(Table, tablename="assignment_members"):
    """A member's own capacity (null: the workspace's default) and presence as assignment
    sees it (written by the realtime layer when the member comes online or leaves)."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    user = reference(User, "user_id")
    capacity = Integer(null=True, default=None)
    online = Boolean(default=False)
    online_changed_at = Timestamptz(null=True, default=None)

    assignment_members_workspace_id_user_id_key = Unique(["workspace_id", "user_id"])
    assignment_members_capacity_check = Check(
        f"capacity IS NULL OR capacity BETWEEN 0 AND {CAPACITY_MAX}"
    )


class AssignmentQueue(Table, tablename="assignment_queue"):
    """An open, unassigned conversation waiting for a member with room; first come (by
    waiting_since, then id) is served first."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    conversation = reference(Conversation, "conversation_id")
    waiting_since = Timestamptz(default=Now())
    reason = Text(default="new")
    created_at = Timestamptz(default=Now())

    assignment_queue_conversation_id_key = Unique(["conversation_id"])


class AssignmentAccount(Table, tablename="assignment_accounts"):
    """A connected account's own on/off, overriding the workspace's `enabled` for its
    conversations (no row: the account follows the workspace)."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    account = reference(IgAccount, "account_id")
    enabled = Boolean(default=False)
    updated_at = Timestamptz(default=Now())

    # Workspace first: the ingest's lock read looks for an account set On by workspace.
    assignment_accounts_workspace_id_account_id_key = Unique(["workspace_id", "account_id"])

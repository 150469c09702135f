"""Reports' durable history and their derived figures (docs/reports.md).

`conversation_status_changes` is history: one row per change of a conversation's status,
written in the transaction of the change (by hand, by the snooze sweeper, by a customer's
message reopening it), never updated. `report_facts` is derived: every row can be
recomputed from messages and status changes, one conversation at a time (a conversation
whose `facts_stale` is set is recomputed by the reports worker; `wazify metrics rebuild`
recomputes them all). `report_settings` holds a workspace's time zone and business hours.

The schema's definition (see db/tables/identity.py); the partial index on stale
conversations is a raw SQL step in db/migrations.
"""

from piccolo.columns import JSONB, BigInt, BigSerial, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import User, Workspace
from wazify.db.tables.inbox import Conversation

FACT_KINDS = ("opened", "reopened", "resolved", "reply", "message_in", "message_out")


class ConversationStatusChange(Table, tablename="conversation_status_changes"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    conversation = reference(Conversation, "conversation_id")
    from_status = Text(default=None)
    to_status = Text(default=None)
    # Who held the conversation at the change (a resolution is credited to them).
    assignee = reference(User, "assignee_id", null=True, on_delete=OnDelete.set_null)
    by_user = reference(User, "by_user_id", null=True, on_delete=OnDelete.set_null)
    cause = Text(default="member")
    # A customer's reopening: the message that reopened it (the thread's line goes before it).
    message_id = BigInt(null=True, default=None)
    changed_at = Timestamptz(default=Now())

    conversation_status_changes_cause_check = Check("cause IN ('member', 'snooze', 'customer')")


class ReportFact(Table, tablename="report_facts"):
    """One figure's occurrence: a reply (started_at: the customer's message, at: the reply),
    a resolution (started_at: when the conversation was opened or reopened), an opening,
    a reopening, or the number of messages in or out in a 15-minute bucket (at: its start)."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    conversation = reference(Conversation, "conversation_id")
    account_id = BigInt(default=None)
    kind = Text(default=None)
    started_at = Timestamptz(null=True, default=None)
    at = Timestamptz(default=None)
    member_id = BigInt(null=True, default=None)
    first = Integer(default=0)
    count = Integer(default=1)

    report_facts_kind_check = Check(f"kind IN ({', '.join(repr(k) for k in FACT_KINDS)})")


class ReportSettings(Table, tablename="report_settings"):
    """A workspace's reporting time zone and weekly business hours (None: not set)."""

    workspace = reference(Workspace, "workspace_id", primary_key=True)
    timezone = Text(default="UTC")
    # {"mon": [["09:00", "17:00"]], ...}: local times, each day's spans in order.
    business_hours = JSONB(null=True, default=None)
    updated_at = Timestamptz(default=Now())

"""History imports and resyncs (Conversations API jobs). Mirrors db/migrations."""

from piccolo.columns import BigSerial, ForeignKey, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from wazify.db.tables.identity import User, Workspace
from wazify.db.tables.inbox import IgAccount


class ImportJob(Table, tablename="import_jobs"):
    """One import (on connect) or resync (after a gap) of an account's recent history."""

    id = BigSerial(primary_key=True)
    workspace = ForeignKey(Workspace, db_column_name="workspace_id")
    account = ForeignKey(IgAccount, db_column_name="account_id")
    trigger = Text()
    state = Text(default="queued")
    since = Timestamptz()
    requested_by = ForeignKey(User, db_column_name="requested_by", null=True)
    cursor = Text(null=True, default=None)
    page_mark = Timestamptz(null=True, default=None)
    phase = Integer(default=1)
    listing_started_at = Timestamptz(null=True, default=None)
    conversations_done = Integer(default=0)
    messages_seen = Integer(default=0)
    messages_imported = Integer(default=0)
    graph_calls = Integer(default=0)
    attempts = Integer(default=0)
    reason = Text(default="")
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz(null=True, default=None)
    lease_token = Text(null=True, default=None, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())

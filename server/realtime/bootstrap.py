"""`GET /api/v1/bootstrap`: the snapshot a client starts from, and the seq it corresponds to.

Read in one REPEATABLE READ transaction, so the rows and the seq agree: the client applies
events after that seq (connecting to /api/v1/ws?since=seq) and converges. Older or resolved
conversations come through the paginated conversations API.

SQL for the conversations, team and accounts: Postgres builds their JSON in one round trip each
(json_agg), which Piccolo's rows would have to be re-encoded into (docs/migrations.md).
"""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.di import NamedDependency

from wazify.auth.guards import require_member
from wazify.auth.principal import Principal
from wazify.canned.queries import list_canned
from wazify.conversations.views_sql import ACCOUNT_JSON, CONVERSATION_FROM, conversation_json
from wazify.db.transactions import snapshot
from wazify.history.queries import latest_import_jobs
from wazify.labels.queries import list_labels
from wazify.notes.queries import unread_mentions
from wazify.realtime.service import Realtime
from wazify.views import (
    AccountView,
    CannedResponseView,
    ConversationView,
    ImportJobView,
    LabelView,
    MemberView,
    Presence,
    WorkspaceView,
)
from wazify.workspaces.queries import workspace_view

BOOTSTRAP_PAGE = 50


class TeamMember(MemberView, kw_only=True):
    presence: Presence = "offline"


class Bootstrap(msgspec.Struct, kw_only=True):
    seq: int
    me: TeamMember
    conversations: list[ConversationView]
    more_conversations: bool
    team: list[TeamMember]
    accounts: list[AccountView]
    # Staff only: each account's latest history import or resync (docs/history.md).
    import_jobs: list[ImportJobView] = []
    # Its name, message retention and any pending deletion (workspace.updated replaces it).
    workspace: WorkspaceView
    labels: list[LabelView] = []
    # The shared canned responses and your own.
    canned_responses: list[CannedResponseView] = []
    # Notes mentioning you that you have not read.
    mentions_unread: int = 0


_conversations = msgspec.json.Decoder(list[ConversationView])
_accounts = msgspec.json.Decoder(list[AccountView])

CONVERSATIONS_SQL = f"""
SELECT coalesce(json_agg(v ORDER BY at DESC, id DESC), '[]')::text FROM (
    SELECT {conversation_json()} AS v, c.last_activity_at AS at, c.id FROM {CONVERSATION_FROM}
    WHERE c.workspace_id = $1 AND c.status IN ('open', 'pending')
    ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2) q
"""
TEAM_SQL = """
SELECT u.id AS user_id, u.name, u.email, m.role, m.active FROM memberships m
JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY lower(u.name), u.id
"""
ACCOUNTS_SQL = f"""
SELECT coalesce(json_agg({ACCOUNT_JSON} ORDER BY a.id), '[]')::text FROM ig_accounts a
WHERE a.workspace_id = $1
"""


@get("/api/v1/bootstrap", guards=[require_member], tags=["realtime"])
async def bootstrap(
    principal: NamedDependency[Principal], realtime: NamedDependency[Realtime]
) -> Bootstrap:
    workspace_id = principal.workspace_id
    engine = realtime.runtime.engine
    async with snapshot(engine.pool, engine) as connection:
        # One snapshot: the Piccolo queries below read on this connection too.
        seq = await connection.fetchval(
            "SELECT last_seq FROM workspace_counters WHERE workspace_id = $1", workspace_id
        )
        conversations = _conversations.decode(
            await connection.fetchval(CONVERSATIONS_SQL, workspace_id, BOOTSTRAP_PAGE + 1)
        )
        team_rows = await connection.fetch(TEAM_SQL, workspace_id)
        accounts = _accounts.decode(await connection.fetchval(ACCOUNTS_SQL, workspace_id))
        import_jobs = await latest_import_jobs(workspace_id) if principal.is_staff else []
        labels = await list_labels(workspace_id)
        canned = await list_canned(workspace_id, principal.user_id)
        mentions_unread = await unread_mentions(workspace_id, principal.user_id)
        workspace = await workspace_view(connection, workspace_id)
    assert workspace is not None  # the session resolved, so its workspace exists
    presence = realtime.presence.snapshot(workspace_id)
    team = [
        TeamMember(**dict(row), presence=presence.get(row["user_id"], "offline"))
        for row in team_rows
    ]
    me = next(member for member in team if member.user_id == principal.user_id)
    return Bootstrap(
        seq=seq,
        me=me,
        conversations=conversations[:BOOTSTRAP_PAGE],
        more_conversations=len(conversations) > BOOTSTRAP_PAGE,
        team=team,
        accounts=accounts,
        import_jobs=import_jobs,
        workspace=workspace,
        labels=labels,
        canned_responses=canned,
        mentions_unread=mentions_unread,
    )

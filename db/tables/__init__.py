"""Piccolo tables, one module per area: the schema's definition (db/migrations follows them)."""

from wazify.db.tables.assignment import (
    AssignmentAccount,
    AssignmentMember,
    AssignmentQueue,
    AssignmentSettings,
)
from wazify.db.tables.exports import ExportJob
from wazify.db.tables.history import ImportJob
from wazify.db.tables.identity import (
    ApiToken,
    Invitation,
    LoginAttempt,
    Membership,
    Session,
    User,
    Workspace,
    WorkspaceCounter,
)
from wazify.db.tables.inbox import (
    Contact,
    Conversation,
    DeferredEffect,
    IgAccount,
    Message,
    OAuthState,
    Reaction,
    ReadPosition,
    Upload,
)
from wazify.db.tables.log import AuditEntry, Event, Installation, WebhookReceipt
from wazify.db.tables.privacy import ContentScrub, DataDeletionRequest, DeletionJob
from wazify.db.tables.reports import ConversationStatusChange, ReportFact, ReportSettings
from wazify.db.tables.team import (
    CannedResponse,
    ConversationLabel,
    Label,
    Note,
    NoteMention,
)

ALL_TABLES = (
    Workspace,
    WorkspaceCounter,
    User,
    Membership,
    Session,
    ApiToken,
    Invitation,
    LoginAttempt,
    IgAccount,
    Contact,
    Conversation,
    Message,
    Reaction,
    DeferredEffect,
    ReadPosition,
    Upload,
    Event,
    AuditEntry,
    WebhookReceipt,
    OAuthState,
    Installation,
    ImportJob,
    DeletionJob,
    DataDeletionRequest,
    ContentScrub,
    ExportJob,
    Note,
    NoteMention,
    Label,
    ConversationLabel,
    CannedResponse,
    ConversationStatusChange,
    ReportFact,
    ReportSettings,
    AssignmentSettings,
    AssignmentMember,
    AssignmentQueue,
    AssignmentAccount,
)

__all__ = [table.__name__ for table in ALL_TABLES] + ["ALL_TABLES"]

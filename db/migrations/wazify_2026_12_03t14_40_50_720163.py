"""Auto-assignment: a workspace's settings (one row, also its assignment lock), each
member's capacity and presence as assignment sees it, and the queue of waiting conversations."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from wazify.db.tables.columns import Now


class Conversation(Table, tablename="conversations", schema=None):
    id = BigSerial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class User(Table, tablename="users", schema=None):
    id = BigSerial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class Workspace(Table, tablename="workspaces", schema=None):
    id = BigSerial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-03T14:40:50:720163"
VERSION = "1.38.0"
DESCRIPTION = "auto-assignment settings, capacity, presence and queue"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)

    manager.add_table(
        class_name="AssignmentMember",
        tablename="assignment_members",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="AssignmentSettings",
        tablename="assignment_settings",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="AssignmentQueue",
        tablename="assignment_queue",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        column_name="workspace",
        db_column_name="workspace_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Workspace,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.no_action,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "workspace_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.no_action,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "user_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        column_name="capacity",
        db_column_name="capacity",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        column_name="online",
        db_column_name="online",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        column_name="online_changed_at",
        db_column_name="online_changed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="workspace",
        db_column_name="workspace_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Workspace,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.no_action,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "workspace_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="enabled",
        db_column_name="enabled",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="eligibility",
        db_column_name="eligibility",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "online",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="strategy",
        db_column_name="strategy",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "least_loaded",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="default_capacity",
        db_column_name="default_capacity",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 5,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="last_assignee_id",
        db_column_name="last_assignee_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": Now(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        column_name="workspace",
        db_column_name="workspace_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Workspace,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.no_action,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "workspace_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        column_name="conversation",
        db_column_name="conversation_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Conversation,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.no_action,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "conversation_id",
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        column_name="waiting_since",
        db_column_name="waiting_since",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": Now(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        column_name="reason",
        db_column_name="reason",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "new",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": Now(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        constraint_name="assignment_members_workspace_id_user_id_key",
        constraint_class=Unique,
        params={"columns": ["workspace_id", "user_id"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentMember",
        tablename="assignment_members",
        constraint_name="assignment_members_capacity_check",
        constraint_class=Check,
        params={"condition": "capacity IS NULL OR capacity BETWEEN 0 AND 1000"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        constraint_name="assignment_settings_workspace_id_key",
        constraint_class=Unique,
        params={"columns": ["workspace_id"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        constraint_name="assignment_settings_eligibility_check",
        constraint_class=Check,
        params={"condition": "eligibility IN ('online', 'active')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        constraint_name="assignment_settings_strategy_check",
        constraint_class=Check,
        params={"condition": "strategy IN ('least_loaded', 'round_robin')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        constraint_name="assignment_settings_capacity_check",
        constraint_class=Check,
        params={"condition": "default_capacity BETWEEN 0 AND 1000"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="AssignmentQueue",
        tablename="assignment_queue",
        constraint_name="assignment_queue_conversation_id_key",
        constraint_class=Unique,
        params={"columns": ["conversation_id"], "nulls_distinct": True},
        schema=None,
    )

    return manager

"""Auto-assignment: a member offline longer than the workspace's offline_return_minutes gets
their unanswered conversations returned to the queue (null: never)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check

ID = "2026-12-03T15:24:25:715384"
VERSION = "1.38.0"
DESCRIPTION = "auto-assignment offline return"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)

    manager.add_column(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        column_name="offline_return_minutes",
        db_column_name="offline_return_minutes",
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

    manager.add_constraint(
        table_class_name="AssignmentSettings",
        tablename="assignment_settings",
        constraint_name="assignment_settings_offline_check",
        constraint_class=Check,
        params={
            "condition": "offline_return_minutes IS NULL OR offline_return_minutes BETWEEN 1 AND 1440"
        },
        schema=None,
    )

    return manager

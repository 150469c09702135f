"""Contacts keep the rest of what Meta's user profile says (follower count, who follows
whom, verified), shown in the contact panel; null until the next fetch."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T14:38:40:179696"
VERSION = "1.38.0"
DESCRIPTION = "contacts keep the facts of the Meta user profile"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Contact",
        tablename="contacts",
        column_name="profile_facts",
        db_column_name="profile_facts",
        column_class_name="JSONB",
        column_class=JSONB,
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

    return manager

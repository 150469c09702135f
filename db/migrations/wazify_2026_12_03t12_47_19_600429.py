"""The id of the HTTP request that delivered a receipt (its X-Request-ID, or one the server
made up), so the log lines of the receipt's processing name the request they come from."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T12:47:19:600429"
VERSION = "1.38.0"
DESCRIPTION = "webhook receipts name the request that delivered them"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)

    manager.add_column(
        table_class_name="WebhookReceipt",
        tablename="webhook_receipts",
        column_name="request_id",
        db_column_name="request_id",
        column_class_name="Text",
        column_class=Text,
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

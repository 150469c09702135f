"""The installation's random id, drawn when the database is migrated (0003_installation.sql).

Its Redis channels are named after it, so two installations sharing one Redis never see
each other's events.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T11:28:08:625770"
VERSION = "1.38.0"
DESCRIPTION = "the installation id: drawn once (0003_installation.sql)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "INSERT INTO installation (id)"
            " SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 16)"
        )
    )
    return manager

"""Instagram Login states: their expiry index, under its own name (0002_oauth_states.sql)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T11:27:59:659088"
VERSION = "1.38.0"
DESCRIPTION = "Instagram Login states: the expiry index (0002_oauth_states.sql)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(sql("CREATE INDEX oauth_states_expiry ON oauth_states (expires_at)"))
    return manager

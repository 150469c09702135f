"""Export jobs: the indexes the claim, the listing, the expiry sweep and a contact's erasure
(its foreign key cascades) use."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T12:02:15:707507"
VERSION = "1.38.0"
DESCRIPTION = "export jobs: indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE INDEX export_jobs_active ON export_jobs (id)"
            " WHERE status IN ('queued', 'running')",
            "CREATE INDEX export_jobs_workspace ON export_jobs (workspace_id, id DESC)",
            "CREATE INDEX export_jobs_contact ON export_jobs (contact_id)"
            " WHERE contact_id IS NOT NULL",
            "CREATE INDEX export_jobs_expiry ON export_jobs (expires_at) WHERE status = 'done'",
        )
    )
    return manager

"""Privacy: the deletion jobs' indexes, the Meta user id callbacks look accounts up by, and
the receipts' arrival time the retention sweeper purges by.

At most one deletion of a given workspace or account is scheduled or running at a time (a
second request while one waits is refused, not queued twice); the runner finds due jobs by
their due time.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T12:04:05:075044"
VERSION = "1.38.0"
DESCRIPTION = "privacy: the deletion jobs indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE UNIQUE INDEX deletion_jobs_one_active ON deletion_jobs"
            " (kind, workspace_id, coalesce(account_id, 0))"
            " WHERE state IN ('scheduled', 'running')",
            "CREATE INDEX deletion_jobs_due ON deletion_jobs (due_at)"
            " WHERE state IN ('scheduled', 'running')",
            "CREATE INDEX deletion_jobs_code ON deletion_jobs (request_code)"
            " WHERE request_code IS NOT NULL",
            "CREATE INDEX ig_accounts_meta_user ON ig_accounts (meta_user_id)"
            " WHERE meta_user_id IS NOT NULL",
            "CREATE INDEX webhook_receipts_received ON webhook_receipts (received_at)",
        )
    )
    return manager

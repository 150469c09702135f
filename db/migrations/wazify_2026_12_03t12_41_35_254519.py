"""History import jobs: what Piccolo cannot express (partial and multi-column indexes).

At most one job per account is queued or running (the partial unique index); the importer
finds due jobs by next_attempt_at; the Accounts screen shows an account's latest job.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T12:41:35:254519"
VERSION = "1.38.0"
DESCRIPTION = "history import jobs: indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE UNIQUE INDEX import_jobs_one_active ON import_jobs (account_id)"
            " WHERE state IN ('queued', 'running')",
            "CREATE INDEX import_jobs_due ON import_jobs (next_attempt_at)"
            " WHERE state IN ('queued', 'running')",
            "CREATE INDEX import_jobs_account ON import_jobs (account_id, id DESC)",
        )
    )
    return manager

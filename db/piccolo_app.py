"""The Piccolo app listing Wazify's tables (for Piccolo's CLI and playground)."""

from piccolo.conf.apps import AppConfig

from wazify.db.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="wazify",
    migrations_folder_path="",
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)

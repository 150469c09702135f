"""The Piccolo app listing Wazify's tables and where their migrations live."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from wazify.db.tables import ALL_TABLES

APP_NAME = "wazify"
MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

APP_CONFIG = AppConfig(
    app_name=APP_NAME,
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)

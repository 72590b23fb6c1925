"""Piccolo app for core: its tables and migrations (every plugin's app depends on it)."""

import os

from piccolo.conf.apps import AppConfig

from core.tables import CORE_TABLES

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=CORE_TABLES,
    migration_dependencies=[],
    commands=[],
)

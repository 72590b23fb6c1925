"""Piccolo app of the notices plugin; its migrations run after core's."""

import os

from piccolo.conf.apps import AppConfig

from plugins.notices.tables import Notice

APP_CONFIG = AppConfig(
    app_name="notices",
    migrations_folder_path=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"
    ),
    table_classes=[Notice],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)

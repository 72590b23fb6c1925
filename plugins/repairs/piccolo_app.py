"""Piccolo app of the repairs plugin; its migrations run after core's."""

import os

from piccolo.conf.apps import AppConfig

from plugins.repairs.tables import RepairAsset, RepairLocation, RepairRequestDetail

APP_CONFIG = AppConfig(
    app_name="repairs",
    migrations_folder_path=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"
    ),
    table_classes=[RepairLocation, RepairAsset, RepairRequestDetail],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)

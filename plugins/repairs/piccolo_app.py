"""Piccolo app of the repairs plugin; its migrations run after core's."""

import os

from piccolo.conf.apps import AppConfig

from plugins.repairs.tables import (
    RepairAsset,
    RepairRequestDetail,
    RepairSchedule,
    RepairWorkItem,
)

APP_CONFIG = AppConfig(
    app_name="repairs",
    migrations_folder_path=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"
    ),
    table_classes=[
        RepairAsset,
        RepairSchedule,
        RepairRequestDetail,
        RepairWorkItem,
    ],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)

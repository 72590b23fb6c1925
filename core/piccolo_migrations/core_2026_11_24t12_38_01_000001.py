"""A user's notifications are listed newest first and counted unread by (org, user)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T12:38:01:000001"
VERSION = "1.38.0"
DESCRIPTION = "notification index"

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS core_notification_user ON core_notification (org, "user", id)',
    'CREATE INDEX IF NOT EXISTS core_notification_unread ON core_notification (org, "user", read_at)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager

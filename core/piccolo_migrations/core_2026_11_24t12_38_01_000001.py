"""A user's notifications are listed newest first and counted unread by (org, user)."""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T12:38:01:000001"
VERSION = "1.38.0"
DESCRIPTION = "notification index"

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS core_notification_user ON core_notification (org, "user", id)',
    'CREATE INDEX IF NOT EXISTS core_notification_unread ON core_notification (org, "user", read_at)',
]


forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

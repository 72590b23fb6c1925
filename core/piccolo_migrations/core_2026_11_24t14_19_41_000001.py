"""Indexes for notification preferences and the delivery outbox/log.

One preferences row per user; the sending jobs read due rows of one organisation by
status and due time; a user's log and the admin log read newest first.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T14:19:41:000001"
VERSION = "1.38.0"
DESCRIPTION = "notification preference and delivery indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS core_notification_preference_uniq "
    'ON core_notification_preference (org, "user")',
    "CREATE INDEX IF NOT EXISTS core_notification_delivery_due "
    "ON core_notification_delivery (org, status, due_at)",
    "CREATE INDEX IF NOT EXISTS core_notification_delivery_user "
    'ON core_notification_delivery (org, "user", id)',
    "CREATE INDEX IF NOT EXISTS core_notification_delivery_org_id "
    "ON core_notification_delivery (org, id)",
    # Deleting a notification (a request or user removed) cascades here.
    "CREATE INDEX IF NOT EXISTS core_notification_delivery_notification "
    "ON core_notification_delivery (notification)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

"""Attachments are read per request (detail page, API list): index (org, request, id)."""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T14:19:18:000001"
VERSION = "1.38.0"
DESCRIPTION = "attachment index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_attachment_request ON core_attachment (org, request, id)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

"""The desk queue reads a team's open requests in SLA order: (org, team_id, status, due)."""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T12:55:01:000001"
VERSION = "1.38.0"
DESCRIPTION = "desk queue index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_request_queue "
    "ON core_request (org, team_id, status, resolution_due_at, id)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

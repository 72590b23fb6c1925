"""The composite index of guest follow links, led by the organisation (DESIGN §6): the
links of one request (joining a report, forgetting phone numbers)."""

from core.migration_steps import raw_sql_migration

ID = "2026-12-04T19:29:39:000001"
VERSION = "1.38.0"
DESCRIPTION = "index of guest follow links"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_guest_follow_org_request ON core_guest_follow (org, request)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

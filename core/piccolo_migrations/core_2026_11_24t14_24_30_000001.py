"""Index for the admin's list of waiting approval steps (/admin/approval-steps).

The list reads one organisation's pending steps, oldest first, a keyset page at a
time: (org, status, id) serves it whatever the number of decided steps.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T14:24:30:000001"
VERSION = "1.38.0"
DESCRIPTION = "approval step status index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_approval_step_status "
    "ON core_approval_step (org, status, id)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

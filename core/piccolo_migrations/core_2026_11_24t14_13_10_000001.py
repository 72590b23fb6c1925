"""Indexes for the periodic lifecycle jobs (core/lifecycle/watch.py).

Partial indexes keep the SLA watch to the open requests of one organisation ordered
by due time, whatever the number of closed ones; approval reminders read open tasks
by age; auto-close reads resolved requests by resolution time.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T14:13:10:000001"
VERSION = "1.38.0"
DESCRIPTION = "lifecycle watch indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_request_resolution_watch "
    "ON core_request (org, resolution_due_at) WHERE resolved_at IS NULL AND closed_at IS NULL",
    "CREATE INDEX IF NOT EXISTS core_request_response_watch "
    "ON core_request (org, response_due_at) WHERE first_response_at IS NULL AND closed_at IS NULL",
    "CREATE INDEX IF NOT EXISTS core_request_resolved_at "
    "ON core_request (org, status, resolved_at)",
    "CREATE INDEX IF NOT EXISTS core_approval_task_open_age "
    "ON core_approval_task (org, open, created_at)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

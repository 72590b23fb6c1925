"""Indexes of the request tables, led by the organisation (DESIGN §6).

Unique request numbers per organisation, one counter row per (org, prefix, day), one
idempotency key per (org, user, key); the inbox, the queues and the timeline read
along these indexes. Same SQL on SQLite and PostgreSQL.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T11:42:01:000001"
VERSION = "1.38.0"
DESCRIPTION = "request lifecycle indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS core_request_org_number ON core_request (org, number)",
    "CREATE INDEX IF NOT EXISTS core_request_org_requester ON core_request (org, requester, id)",
    "CREATE INDEX IF NOT EXISTS core_request_org_status ON core_request (org, status, id)",
    "CREATE INDEX IF NOT EXISTS core_request_org_assignee ON core_request (org, assignee, status)",
    "CREATE INDEX IF NOT EXISTS core_request_org_service ON core_request (org, service, status, id)",
    "CREATE INDEX IF NOT EXISTS core_request_event_request ON core_request_event (org, request, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS core_request_counter_uniq "
    "ON core_request_counter (org, prefix, day)",
    'CREATE UNIQUE INDEX IF NOT EXISTS core_idempotency_key_uniq ON core_idempotency_key (org, "user", key)',
]


forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

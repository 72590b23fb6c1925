"""Organisation-led indexes of the follow links, work items and maintenance schedules
(raw SQL: Piccolo's auto migrations do not track composite indexes; see the first
index migration of this app)."""

from web.sdk import raw_sql_migration

ID = "2026-11-24T17:50:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "indexes of follow links, work items and schedules"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS repairs_follow_org_request ON repairs_follow (org, request)",
    "CREATE INDEX IF NOT EXISTS repairs_work_item_org_request"
    " ON repairs_work_item (org, request, id)",
    "CREATE INDEX IF NOT EXISTS repairs_schedule_org_due"
    " ON repairs_schedule (org, active, next_due)",
    "CREATE INDEX IF NOT EXISTS repairs_request_detail_org_schedule"
    " ON repairs_request_detail (org, schedule, request)",
]


forwards = raw_sql_migration(ID, "repairs", DESCRIPTION, STATEMENTS)

"""Composite indexes of the notices table, led by the organisation (DESIGN §6).

Piccolo's auto migrations do not track composite indexes, and raw steps run before
the tables of the same migration are created, so they live in a migration of their own.
The SQL is the same on SQLite and PostgreSQL.
"""

from web.sdk import raw_sql_migration

ID = "2026-11-24T11:15:30:000001"
VERSION = "1.38.0"
DESCRIPTION = "composite index of notices"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS notices_notice_org_id ON notices_notice (org, id)",
]


forwards = raw_sql_migration(ID, "notices", DESCRIPTION, STATEMENTS)

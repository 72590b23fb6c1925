"""One rating per request, enforced by the database; follow-ups and CSAT by service.

The score range (1–5) is checked by a CHECK constraint on PostgreSQL and by a trigger
on SQLite (which cannot add a constraint to an existing table).
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T12:25:01:000001"
VERSION = "1.38.0"
DESCRIPTION = "rating constraints"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS core_rating_request ON core_rating (org, request)",
    "CREATE INDEX IF NOT EXISTS core_rating_follow_up ON core_rating (org, follow_up, id)",
    "CREATE INDEX IF NOT EXISTS core_rating_service ON core_rating (org, service, created_at)",
]
POSTGRES = [
    "ALTER TABLE core_rating ADD CONSTRAINT core_rating_score CHECK (score BETWEEN 1 AND 5)",
]
SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS core_rating_score BEFORE INSERT ON core_rating "
    "WHEN NEW.score NOT BETWEEN 1 AND 5 BEGIN SELECT RAISE(ABORT, 'score out of range'); END",
]


forwards = raw_sql_migration(
    ID, "core", DESCRIPTION, STATEMENTS, postgres=POSTGRES, sqlite=SQLITE
)

"""Composite indexes of core's tables, led by the organisation (DESIGN §6).

Piccolo's auto migrations do not track composite indexes, and raw steps run before
the tables of the same migration are created, so they live in a migration of their own.
The SQL is the same on SQLite and PostgreSQL.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T11:15:29:000001"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes of core tables"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS core_role_grant_uniq ON core_role_grant (org, "user", role, scope)',
    "CREATE UNIQUE INDEX IF NOT EXISTS core_plugin_setting_uniq ON core_plugin_setting (org, slug)",
    "CREATE INDEX IF NOT EXISTS core_user_org_id ON core_user (org, id)",
    "CREATE INDEX IF NOT EXISTS core_department_org_name ON core_department (org, name)",
    "CREATE INDEX IF NOT EXISTS core_audit_entry_org_id ON core_audit_entry (org, id)",
    'CREATE INDEX IF NOT EXISTS core_api_token_org_user ON core_api_token (org, "user")',
]


forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

"""SLA policies are looked up by (org, service, priority); one policy per combination."""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T12:31:12:000001"
VERSION = "1.38.0"
DESCRIPTION = "sla policy index"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS core_sla_policy_uniq ON core_sla_policy (org, service, priority)",
]


forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

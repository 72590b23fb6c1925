"""SLA policies are looked up by (org, service, priority); one policy per combination."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T12:31:12:000001"
VERSION = "1.38.0"
DESCRIPTION = "sla policy index"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS core_sla_policy_uniq ON core_sla_policy (org, service, priority)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager

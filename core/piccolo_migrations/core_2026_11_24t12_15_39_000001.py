"""Indexes of the dispatch tables, led by the organisation (DESIGN §6).

Teams are found by (org, service); a person is in a team once; agents' open load is
counted along (org, assignee, status), which core_request already has.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T12:15:39:000001"
VERSION = "1.38.0"
DESCRIPTION = "dispatch indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_team_service ON core_team (org, service, active)",
    'CREATE UNIQUE INDEX IF NOT EXISTS core_team_member_uniq ON core_team_member (org, team, "user")',
    'CREATE INDEX IF NOT EXISTS core_team_member_user ON core_team_member (org, "user")',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager

"""Indexes of the dispatch tables, led by the organisation (DESIGN §6).

Teams are found by (org, service); a person is in a team once; agents' open load is
counted along (org, assignee, status), which core_request already has.
"""

from core.migration_steps import raw_sql_migration

ID = "2026-11-24T12:15:39:000001"
VERSION = "1.38.0"
DESCRIPTION = "dispatch indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_team_service ON core_team (org, service, active)",
    'CREATE UNIQUE INDEX IF NOT EXISTS core_team_member_uniq ON core_team_member (org, team, "user")',
    'CREATE INDEX IF NOT EXISTS core_team_member_user ON core_team_member (org, "user")',
]


forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)

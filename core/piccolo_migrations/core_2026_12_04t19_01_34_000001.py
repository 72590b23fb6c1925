"""The composite indexes of core's places, led by the organisation (DESIGN §6): the tree
of a building (``parent``) and the rooms by code (the pickers' order)."""

from core.migration_steps import raw_sql_migration

ID = "2026-12-04T19:01:34:000001"
VERSION = "1.38.0"
DESCRIPTION = "indexes of core places"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS core_place_org_parent ON core_place (org, parent)",
    "CREATE INDEX IF NOT EXISTS core_place_org_kind_code ON core_place (org, kind, code)",
]

forwards = raw_sql_migration(ID, "core", DESCRIPTION, STATEMENTS)
